"""Money: integer pence, and the one rounding rule.

THE ROUNDING RULE. Every amount is worked out exactly (integers and
fractions of pence) and rounded once, half-up (half away from zero) to the
penny, at the smallest thing that is paid: the priced unit (a spell, a
person's cluster period, a person-month of capitation) or, for contract-level
models, the statement line itself. An amount that accrues over time (a
cluster period paid pro rata by day, a block instalment, a fee share) is
rounded on its *cumulative* value to date; a settlement window gets the
difference between the rounded amounts to date at its end and at its start.
So the instalments of anything always add up to its rounded whole, splitting
a settlement period in two never gains or loses a penny, statement lines are
sums of whole pence, and a statement total is the plain sum of its lines.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

PENNY = Decimal("0.01")
ROUNDING_RULE = "half-up to the penny, once, at the priced unit (cumulative to date for amounts accruing over time)"


def pence(value: str | int | float | Decimal) -> int:
    """Exact pounds (string/Decimal, e.g. "12.50") to integer pence; refuses fractions of a penny."""
    d = Decimal(str(value))
    p = d * 100
    if p != p.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of pence")
    return int(p)


def pounds(p: int) -> Decimal:
    """Integer pence to Decimal pounds (for display and export)."""
    return (Decimal(int(p)) / 100).quantize(PENNY)


def fmt(p: int) -> str:
    d = pounds(p)
    return f"-£{-d:,.2f}" if d < 0 else f"£{d:,.2f}"


def round_fraction(x: Fraction) -> int:
    """Round an exact Fraction of pence half-up (away from zero) to whole pence."""
    n, d = x.numerator, x.denominator
    q = (2 * abs(n) + d) // (2 * d)
    return q if n >= 0 else -q


def round_div(num: np.ndarray | int, den: np.ndarray | int) -> np.ndarray:
    """Vectorised exact num/den rounded half-up (away from zero); den > 0, int64 only."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    q = (2 * np.abs(num) + den) // (2 * den)
    out: np.ndarray = np.where(num >= 0, q, -q)
    return out


def ratio(value: str | int | float | Decimal) -> Fraction:
    """An exact rate or weight from a config value ("0.30", "1.0250000")."""
    return Fraction(Decimal(str(value)))
