"""Small argument parsers shared by the commands: a bad value is a usage line, never a traceback.

Each raises :class:`typer.BadParameter` (Typer prints it as a usage error, exit 2)
with a message that says what form is wanted. Windows are ``[start, end)``:
``end`` is the first day no longer included.
"""

from __future__ import annotations

import re
from datetime import date

import typer

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, option: str = "--month") -> tuple[date, date]:
    """``YYYY-MM`` -> (first day of the month, first day of the next month)."""
    m = _MONTH.match((text or "").strip()) if (text or "").isascii() else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise typer.BadParameter(f"{text!r} is not a month: use YYYY-MM, e.g. 2024-03", param_hint=option)
    y, mo = int(m.group(1)), int(m.group(2))
    return date(y, mo, 1), (date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1))


def parse_date(text: str, option: str = "--date") -> date:
    """An ISO date ``YYYY-MM-DD`` (a DD/MM date gets its own message)."""
    t = (text or "").strip()
    if "/" in t:
        raise typer.BadParameter(f"{text!r} looks like a DD/MM date: use YYYY-MM-DD", param_hint=option)
    if not (t.isascii() and re.match(r"^\d{4}-\d{2}-\d{2}$", t)):
        raise typer.BadParameter(f"{text!r} is not a date: use YYYY-MM-DD", param_hint=option)
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a real date: use YYYY-MM-DD", param_hint=option) from None


def parse_window(month: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    """``--month YYYY-MM``, or ``--start`` and ``--end`` (end exclusive); start must come before end."""
    if month and (start or end):
        raise typer.BadParameter("give --month, or --start and --end, not both", param_hint="--month")
    if month:
        return parse_month(month)
    if not (start and end):
        raise typer.BadParameter("give --month YYYY-MM, or --start and --end (end exclusive)",
                                 param_hint="--start/--end")
    a, b = parse_date(start, "--start"), parse_date(end, "--end")
    if b <= a:
        raise typer.BadParameter(f"--end {b} is not after --start {a} (end is the first day not included)",
                                 param_hint="--start/--end")
    return a, b
