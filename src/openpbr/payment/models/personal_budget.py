"""Personal budgets: money that goes to the person is taken out of the provider's payment.

personal_budget.deduct  for each personal (health) budget held against this contract: minus the budget's
                        annual value x days held in the window / days in contract year. The budget buys
                        care the contract would otherwise fund, so nothing is paid twice ([U] mechanism,
                        reference G2: a local agreement, kept as a contract model).
"""

from __future__ import annotations

import numpy as np

from openpbr.payment.activity import col_days, col_str
from openpbr.payment.calendar import overlap
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import PersonalBudgetModel
from openpbr.payment.models.capitation import person_amounts
from openpbr.payment.money import ROUNDING_RULE, pence
from openpbr.payment.statement import Line

MODEL = "personal_budgets"


def settle(ctx: Context, model: PersonalBudgetModel, prior: list[Line]) -> list[Line]:
    t = ctx.table("personal_budgets")
    if t is None:
        return []
    a, b = ctx.active_window
    s, e = col_days(t, "start_date"), col_days(t, "end_date", open_end=True)
    annual = np.array([pence(v) for v in col_str(t, "annual_value", "0")], dtype=np.int64)
    days = overlap(s, e, a, b)
    m = days > 0
    if not m.any():
        return []
    # one rounding unit per budget; weight 1 (10000 ten-thousandths)
    ones = np.full(int(m.sum()), 10000, dtype=np.int64)
    total = int(person_amounts(s[m], e[m], ones, annual[m], ctx.years, a, b).sum())
    return [Line(ctx.contract.contract_id, MODEL, "personal_budget.deduct", PayCode.ADJUSTMENT,
                 "Personal budgets held: deducted so care is not paid twice", int(days[m].sum()), "budget days",
                 -total,
                 {"rule": "personal_budget.deduct",
                  "inputs": {"budgets": int(m.sum()), "budget_days": int(days[m].sum()),
                             "persons": sorted(set(col_str(t, "person_id")[m].astype(str).tolist()))[:50]},
                  "prices": [], "formula": "-(annual budget x days held / days in contract year), per budget",
                  "rounding": ROUNDING_RULE, "provisional": True})]
