"""Use cases, each written once, for every face (CLI, API, web pages).

Conventions every service function follows:

- it takes a database session (or engine) it does not own, the acting user's
  :class:`openpbr.access.Scope`, and an explicit ``as_of`` date where time matters
  (no hidden ``date.today()``);
- it filters every read by the scope, and an empty scope reads nothing;
- it returns typed results (dataclasses or Pydantic models), never prints;
- it raises :class:`openpbr.errors.OpenPbRError` subclasses for anything a user
  can fix, with one-line messages that name no person.

Rich and Typer live only in the CLI; FastAPI only in the API.
"""
