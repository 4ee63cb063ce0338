"""Page routers, one module per area."""

from openpbr.web.pages import auth, care, finance, home, my_care, reference

ROUTERS = [home.router, auth.router, my_care.router, care.router, finance.router, reference.router]
