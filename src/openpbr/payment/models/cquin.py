"""Quality incentive (CQUIN-style): a % of actual annual value, paid on goals achieved (reference B5).

cquin.earned  AAV x pct x weighted achievement. AAV = all payments under the contract in the window
              excluding CQUIN and other incentive payments, after deductions and withholds [C][51].
"""

from __future__ import annotations

from fractions import Fraction

from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import CquinModel
from openpbr.payment.models.outcomes import weighted_score
from openpbr.payment.money import ROUNDING_RULE, ratio, round_fraction
from openpbr.payment.statement import Line

MODEL = "cquin"
INCENTIVE_RULES = ("outcome.earned", "outcome.results_share")


def actual_annual_value(prior: list[Line]) -> int:
    return sum(x.amount for x in prior if x.model != MODEL and x.rule not in INCENTIVE_RULES)


def settle(ctx: Context, model: CquinModel, prior: list[Line]) -> list[Line]:
    aav = actual_annual_value(prior)
    sc, detail = weighted_score(ctx, model.goals, {})
    pot = Fraction(aav) * ratio(model.pct) / 100
    amount = round_fraction(pot * sc)
    return [Line(ctx.contract.contract_id, MODEL, "cquin.earned", PayCode.ADJUSTMENT,
                 f"CQUIN: {model.pct}% of actual value, {float(sc):.1%} of goals achieved", 0, "", amount,
                 {"rule": "cquin.earned", "inputs": {"actual_annual_value_pence": aav, "pct": model.pct,
                                                     "pot_pence": float(pot), "achievement": float(sc), "goals": detail},
                  "prices": [], "formula": "AAV x pct x weighted achievement", "rounding": ROUNDING_RULE,
                  "provisional": False})]
