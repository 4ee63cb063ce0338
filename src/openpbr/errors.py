"""Errors a user can act on, each with a named code and a documented exit code.

Every face (CLI, API, web) turns an :class:`OpenPbRError` into one clear line
(or an RFC 9457 problem) naming the file, row and field where there is one.
Messages never carry an NHS number or any other identifier of a person: say
"line 12, field nhs_number" rather than the value.

Exit codes (the CLI's contract, documented in docs/cli.md):

== ===========================================================================
0  success
1  finished, but some rows were rejected (or ``--strict`` found problems)
2  bad arguments or unreadable input: nothing was written
3  conflict: someone else changed the record first; nothing was saved
4  database missing, not initialised or unreachable: nothing was written
5  not found (or outside the caller's scope, which looks the same)
70 internal error: a bug; nothing half-written was kept
== ===========================================================================
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ROWS_REJECTED = 1
    BAD_INPUT = 2
    CONFLICT = 3
    DATABASE = 4
    NOT_FOUND = 5
    INTERNAL = 70


class OpenPbRError(Exception):
    """Base of every error meant for a user: ``code`` is a stable name, ``str()`` one line."""

    code = "ERROR"
    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(" ".join(message.split()))  # always one line
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class InputError(OpenPbRError):
    """A file, argument or value cannot be used as given."""

    code = "BAD_INPUT"
    exit_code = ExitCode.BAD_INPUT


class ConflictError(OpenPbRError):
    """Someone else saved the same record first: reload it and apply the change again."""

    code = "CONFLICT"
    exit_code = ExitCode.CONFLICT


class DatabaseError(OpenPbRError):
    """The database is missing, not initialised, unreachable, or refused the change."""

    code = "DATABASE"
    exit_code = ExitCode.DATABASE


class NotFound(OpenPbRError):
    """No such record, or none the caller may see (the two answer alike, so scope is not revealed)."""

    code = "NOT_FOUND"
    exit_code = ExitCode.NOT_FOUND


class AccessDenied(NotFound):
    """Outside the caller's scope. A subclass of NotFound so a face cannot reveal the record exists."""

    code = "NOT_FOUND"
