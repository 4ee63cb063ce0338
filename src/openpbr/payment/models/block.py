"""Block contract: a fixed annual sum whatever the activity (reference B4, [C][3]).

block.daily    the annual value accrues evenly by day over each contract year
block.monthly  one twelfth at the start of each contract month
Cumulative rounding, so a year's instalments always add up to the annual value.
"""

from __future__ import annotations

from openpbr.payment.calendar import accrue, months_started
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import BlockModel
from openpbr.payment.money import ROUNDING_RULE, round_fraction
from openpbr.payment.statement import Line

MODEL = "block"


def settle(ctx: Context, model: BlockModel, prior: list[Line]) -> list[Line]:
    a, b = ctx.active_window
    if b <= a:
        return []
    if model.accrual == "daily":
        amount = accrue(model.annual_value, ctx.years, a, b)
        formula = "annual value x days / days in contract year (cumulative, rounded once)"
    else:
        amount = round_fraction(model.annual_value * months_started(ctx.years, b)) - round_fraction(
            model.annual_value * months_started(ctx.years, a))
        formula = "annual value / 12 for each contract month starting in the window (cumulative)"
    return [Line(ctx.contract.contract_id, MODEL, f"block.{model.accrual}", PayCode.PRICED,
                 "Block payment", b - a, "days", amount,
                 {"rule": f"block.{model.accrual}", "inputs": {"annual_value_pence": model.annual_value,
                                                               "window_days": b - a},
                  "prices": [f"contract {ctx.contract.contract_id}#{ctx.contract.digest}"],
                  "formula": formula, "rounding": ROUNDING_RULE, "provisional": False})]

