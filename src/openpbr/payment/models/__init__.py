"""Payment models: one module per model, each a set of small named rules.

Importing this package also declares the settlement tables (``models_db``)
on the shared Base, which is how the Alembic environment finds them.
"""

from openpbr.payment.models_db import PaymentLine, PaymentRun, PaymentStatement  # noqa: F401
