"""Outcome-based payment: indicators with weights and targets; results are an input.

outcome.service_fee     share variant: the fixed service-fee share of the contract value (70% default,
                        Work Choice [C]) accrued by day
outcome.results_share   share variant: the results share (30%) in the window x weighted score
outcome.withhold        withhold variant: minus p% of the activity value (2-4% recommended [C][47])
outcome.earned          withhold/bonus variant: p% of the activity value x weighted score

Weighted score = sum_i w_i x score_i / sum_i w_i. Graded score = actual / target capped to [0, 1]
(lower-is-better: target / actual); binary score = 1 if the target is met else 0. A result given
per need group is a social-value weighted rate: sum_g v_g achieved_g / sum_g v_g eligible_g, so
a person with greater needs who is left without a result costs the provider more (anti
cream-skimming). An indicator with no result scores 0 and the trace says so.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pyarrow as pa

from openpbr.payment.activity import col_str
from openpbr.payment.calendar import accrue, year_fraction
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import Indicator, OutcomeModel
from openpbr.payment.money import ROUNDING_RULE, ratio, round_fraction
from openpbr.payment.statement import Line

MODEL = "outcome"
ACTIVITY_MODELS = ("block", "cluster_activity", "acute_tariff", "capitation", "personal_budgets", "risk_share")


def indicator_value(rows: pa.Table | None, need_weights: dict[str, str]) -> tuple[Fraction | None, dict[str, Any]]:
    """The indicator's actual value from result rows: a plain value, or a weighted rate by need group."""
    if rows is None or rows.num_rows == 0:
        return None, {"result": "none supplied"}
    if "achieved" in rows.column_names and rows.column("achieved").null_count < rows.num_rows:
        num = den = Fraction(0)
        groups: dict[str, dict[str, Any]] = {}
        for r in rows.to_pylist():
            if r.get("achieved") is None:
                continue
            v = ratio(need_weights.get(str(r.get("need_group") or "standard"), "1"))
            num += v * Fraction(Decimal(str(r["achieved"])))
            den += v * Fraction(Decimal(str(r["eligible"])))
            groups[str(r.get("need_group") or "standard")] = {"achieved": r["achieved"], "eligible": r["eligible"],
                                                               "social_value_weight": str(v)}
        return (num / den if den else Fraction(0)), {"by_need_group": groups}
    v = col_str(rows, "value")[0]
    return Fraction(Decimal(str(v))), {"value": str(v)}


def score(ind: Indicator, actual: Fraction | None) -> Fraction:
    if actual is None:
        return Fraction(0)
    target = ratio(ind.target)
    if ind.direction == "higher":
        met, graded = actual >= target, (actual / target if target else Fraction(1))
    else:
        met, graded = actual <= target, (target / actual if actual else Fraction(1))
    if ind.scoring == "binary":
        return Fraction(int(met))
    return min(Fraction(1), max(Fraction(0), graded))


def weighted_score(
    ctx: Context, indicators: list[Indicator], need_weights: dict[str, str]
) -> tuple[Fraction, list[dict[str, Any]]]:
    tw = sum((ratio(i.weight) for i in indicators), Fraction(0))
    total = Fraction(0)
    detail: list[dict[str, Any]] = []
    for ind in indicators:
        actual, info = indicator_value(ctx.results.get(ind.indicator), need_weights)
        sc = score(ind, actual)
        total += ratio(ind.weight) * sc
        detail.append({"indicator": ind.indicator, "weight": ind.weight, "target": ind.target,
                       "direction": ind.direction, "scoring": ind.scoring,
                       "actual": None if actual is None else float(actual), "score": float(sc), **info})
    return (total / tw if tw else Fraction(0)), detail


def _trace(rule: str, inputs: dict[str, Any], formula: str) -> dict[str, Any]:
    return {"rule": rule, "inputs": inputs, "prices": [], "formula": formula, "rounding": ROUNDING_RULE,
            "provisional": False}


def settle(ctx: Context, model: OutcomeModel, prior: list[Line]) -> list[Line]:
    a, b = ctx.active_window
    if b <= a:
        return []
    cid = ctx.contract.contract_id
    sc, detail = weighted_score(ctx, model.indicators, model.need_weights)
    if model.variant == "share":
        fee_pct = ratio(model.service_fee_pct) / 100
        fee = accrue(Fraction(model.annual_value) * fee_pct, ctx.years, a, b)
        pot = Fraction(model.annual_value) * (1 - fee_pct) * year_fraction(ctx.years, a, b)
        earned = round_fraction(pot * sc)
        return [
            Line(cid, MODEL, "outcome.service_fee", PayCode.PRICED, f"Service fee ({model.service_fee_pct}% of value)",
                 b - a, "days", fee, _trace("outcome.service_fee", {"annual_value_pence": model.annual_value,
                                                                    "service_fee_pct": model.service_fee_pct},
                                            "annual value x fee% x days / days in year (cumulative)")),
            Line(cid, MODEL, "outcome.results_share", PayCode.PRICED,
                 f"Results share earned ({float(sc):.1%} of {100 - float(model.service_fee_pct):g}% share)", 0, "",
                 earned, _trace("outcome.results_share", {"results_pot_pence": float(pot), "weighted_score": float(sc),
                                                          "indicators": detail},
                                "annual value x (1 - fee%) x window share of year x weighted score")),
        ]
    base = sum(x.amount for x in prior if x.model in ACTIVITY_MODELS)
    p = ratio(model.at_risk_pct) / 100
    at_risk = Fraction(base) * p
    earned = round_fraction(at_risk * sc)
    inputs = {"activity_value_pence": base, "at_risk_pct": model.at_risk_pct, "weighted_score": float(sc),
              "indicators": detail}
    lines = []
    if model.variant == "withhold":
        lines.append(Line(cid, MODEL, "outcome.withhold", PayCode.ADJUSTMENT,
                          f"Outcome withhold ({model.at_risk_pct}% of activity value)", 0, "", -round_fraction(at_risk),
                          _trace("outcome.withhold", inputs, "-(activity value x p%)")))
    lines.append(Line(cid, MODEL, "outcome.earned", PayCode.ADJUSTMENT,
                      f"Outcome {'withhold earned back' if model.variant == 'withhold' else 'bonus'} "
                      f"({float(sc):.1%} achieved)", 0, "", earned,
                      _trace("outcome.earned", inputs, "activity value x p% x weighted score")))
    return lines
