"""Command-line argument parsing shared by every command: dates, months, windows, the database.

Each parser raises :class:`typer.BadParameter` with a message saying what to
type instead, so a bad argument is one usage line (exit 2), never a traceback.
"""

from __future__ import annotations

import re
from datetime import date

import typer

DB_HELP = "Database URL (default: $OPENPBR_DATABASE_URL, else sqlite:///openpbr.sqlite in the working folder)."

# One `--db` for every command that reads or stores records or runs: the same
# default (resolved by ``openpbr.db.database_url``) and the same help text.
DB = typer.Option(None, "--db", help=DB_HELP, show_default=False)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{4})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def parse_date(text: str, name: str = "date") -> date:
    """An ISO date (YYYY-MM-DD); a DD/MM/YYYY date gets its own hint."""
    value = text.strip()
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a real day: use YYYY-MM-DD, e.g. 2024-03-31") from None
    m = _DAY_MONTH_YEAR.fullmatch(value)
    if m:
        day, month, year = m.groups()
        raise typer.BadParameter(
            f"{value!r} looks like DD/MM/YYYY: use YYYY-MM-DD, e.g. {year}-{int(month):02d}-{int(day):02d}"
        )
    raise typer.BadParameter(f"{value!r} is not a {name}: use YYYY-MM-DD, e.g. 2024-03-31")


def parse_month(text: str) -> tuple[int, int]:
    """A month as YYYY-MM, returned as (year, month); ``03/2024`` gets a hint."""
    value = text.strip()
    m = _ISO_MONTH.fullmatch(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(2))
    m = _MONTH_YEAR.fullmatch(value)
    if m and 1 <= int(m.group(1)) <= 12:
        raise typer.BadParameter(f"{value!r} is not a month: use YYYY-MM, e.g. {m.group(2)}-{int(m.group(1)):02d}")
    raise typer.BadParameter(f"{value!r} is not a month: use YYYY-MM, e.g. 2024-03")


def month_window(text: str) -> tuple[date, date]:
    """First day of the month and first day of the next (end exclusive)."""
    year, month = parse_month(text)
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)


def parse_month_or_date(text: str) -> date:
    """YYYY-MM (its first day) or YYYY-MM-DD."""
    value = text.strip()
    if _ISO_MONTH.fullmatch(value):
        year, month = parse_month(value)
        return date(year, month, 1)
    if _ISO_DATE.fullmatch(value):
        return parse_date(value)
    try:
        parse_month(value)
    except typer.BadParameter:
        pass
    raise typer.BadParameter(f"{value!r} is not a month or a date: use YYYY-MM or YYYY-MM-DD, e.g. 2024-03")


def parse_window(start: str | date, end: str | date, *, inclusive: bool = False) -> tuple[date, date]:
    """A date range whose start comes before its end (or on it, when the end is inclusive)."""
    a = start if isinstance(start, date) else parse_date(start)
    b = end if isinstance(end, date) else parse_date(end)
    if b < a or (b == a and not inclusive):
        raise typer.BadParameter(
            f"the range {a.isoformat()} to {b.isoformat()} is reversed or empty: the start must come before the end"
        )
    return a, b


def _existing_database(value: str | None) -> str:
    from openpbr.db import require_database

    return require_database(value)


# The same `--db` for a command that needs the database to exist already: checked
# before the command runs, so a typo names the missing database (exit 4) and
# never leaves an empty SQLite file behind.
DB_EXISTING = typer.Option(None, "--db", help=DB_HELP, show_default=False, callback=_existing_database)
