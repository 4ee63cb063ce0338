"""Risk share on activity value: marginal rate above a baseline, caps and collars.

risk_share.marginal_above  activity value above the baseline is paid at ``rate_above`` (e.g. 30%):
                           minus (value - baseline) x (1 - rate_above)
risk_share.marginal_below  below the baseline the provider bears ``rate_below`` of the shortfall:
                           plus (baseline - value) x (1 - rate_below)
risk_share.cap / .collar   the payment after sharing is held within [collar, cap]

Annual thresholds are spread over the contract year by days for an in-year window; the year-end
reconciliation re-applies them to the whole year (non-linear, so months do not add up to the year).
"""

from __future__ import annotations

from fractions import Fraction

from openpbr.payment.calendar import year_fraction
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import RiskShareModel
from openpbr.payment.money import ROUNDING_RULE, ratio, round_fraction
from openpbr.payment.statement import Line

MODEL = "risk_share"
SHARED_MODELS = ("cluster_activity", "acute_tariff", "capitation", "personal_budgets")


def settle(ctx: Context, model: RiskShareModel, prior: list[Line]) -> list[Line]:
    a, b = ctx.active_window
    if b <= a:
        return []
    cid = ctx.contract.contract_id
    frac = year_fraction(ctx.years, a, b)
    value = Fraction(sum(x.amount for x in prior if x.model in SHARED_MODELS))
    base = Fraction(model.baseline_annual) * frac
    inputs = {"activity_value_pence": int(value), "baseline_in_window_pence": float(base),
              "window_share_of_year": float(frac), "rate_above": model.rate_above, "rate_below": model.rate_below}
    lines: list[Line] = []

    def add(rule: str, desc: str, exact: Fraction, formula: str) -> int:
        amt = round_fraction(exact)
        lines.append(Line(cid, MODEL, rule, PayCode.ADJUSTMENT, desc, 0, "", amt,
                          {"rule": rule, "inputs": dict(inputs), "prices": [], "formula": formula,
                           "rounding": ROUNDING_RULE, "provisional": False}))
        return amt

    paid = value
    if value > base:
        adj = -(value - base) * (1 - ratio(model.rate_above))
        if adj:
            add("risk_share.marginal_above", f"Above baseline: {model.rate_above} of price paid", adj,
                "-(value - baseline) x (1 - rate_above)")
        paid = value + adj
    elif value < base:
        adj = (base - value) * (1 - ratio(model.rate_below))
        if adj:
            add("risk_share.marginal_below", f"Below baseline: provider bears {model.rate_below} of shortfall", adj,
                "(baseline - value) x (1 - rate_below)")
        paid = value + adj
    inputs["paid_after_sharing_pence"] = float(paid)
    if model.cap_annual is not None:
        cap = Fraction(model.cap_annual) * frac
        inputs["cap_in_window_pence"] = float(cap)
        if paid > cap:
            add("risk_share.cap", "Cap: payment held at the cap", cap - paid, "cap - paid after sharing")
            paid = cap
    if model.collar_annual is not None:
        collar = Fraction(model.collar_annual) * frac
        inputs["collar_in_window_pence"] = float(collar)
        if paid < collar:
            add("risk_share.collar", "Collar: payment raised to the collar", collar - paid, "collar - paid after sharing")
    return lines
