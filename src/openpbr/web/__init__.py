"""The web app: server-rendered NHS.UK pages, a thin face over the services."""
