"""Capitation with risk adjustment (reference B3, [C][45][48]).

capitation.risk_adjusted  for each person covered: annual rate x risk weight x days covered / days in
                          contract year. The person-year is the rounding unit (cumulative to date).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from dateutil.relativedelta import relativedelta

from openpbr.payment.activity import col_days, col_str
from openpbr.payment.calendar import overlap
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context, weights_bp
from openpbr.payment.contracts import CapitationModel
from openpbr.payment.models.grouping import group_sums
from openpbr.payment.money import ROUNDING_RULE, round_div
from openpbr.payment.statement import Line

MODEL = "capitation"


def _year_len(y0: int) -> int:
    d0 = date(1970, 1, 1) + relativedelta(days=y0)
    days: int = (d0 + relativedelta(years=1) - d0).days
    return days


def person_amounts(
    s: np.ndarray, e: np.ndarray, w: np.ndarray, rate: int | np.ndarray, years: list[tuple[int, int]], a: int, b: int
) -> np.ndarray:
    """Per person, amount in [a, b): cumulative rounded accrual per contract year, differenced."""
    out = np.zeros(len(s), dtype=np.int64)
    for y0, y1 in years:
        full = _year_len(y0)
        to_b = overlap(s, e, y0, min(b, y1))
        to_a = overlap(s, e, y0, min(a, y1))
        out += round_div(rate * w * to_b, full * 10000) - round_div(rate * w * to_a, full * 10000)
    return out


def settle(ctx: Context, model: CapitationModel, prior: list[Line]) -> list[Line]:
    t = ctx.table("population")
    if t is None:
        return []
    a, b = ctx.active_window
    s, e = col_days(t, "start_date"), col_days(t, "end_date", open_end=True)
    grp = col_str(t, "risk_group", "standard").astype(str)
    w = weights_bp(grp, model.risk_weights)
    amt = person_amounts(s, e, w, model.annual_rate, ctx.years, a, b)
    days = overlap(s, e, a, b)
    m = days > 0
    lines = []
    for r in group_sums({"risk_group": grp[m]}, {"amount": amt[m], "days": days[m]}):
        weight = model.risk_weights.get(r["risk_group"], "1")
        lines.append(Line(ctx.contract.contract_id, MODEL, "capitation.risk_adjusted", PayCode.PRICED,
                          f"Capitation, risk group {r['risk_group']} (weight {weight})", int(r["days"]), "person days",
                          int(r["amount"]),
                          {"rule": "capitation.risk_adjusted",
                           "inputs": {"persons": int(r["rows"]), "person_days": int(r["days"]),
                                      "annual_rate_pence": model.annual_rate, "risk_weight": weight},
                           "prices": [f"contract {ctx.contract.contract_id}#{ctx.contract.digest}"],
                           "formula": "annual rate x risk weight x days covered / days in contract year, per person",
                           "rounding": ROUNDING_RULE, "provisional": True}))
    return lines

