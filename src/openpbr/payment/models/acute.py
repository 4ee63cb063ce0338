"""Acute activity tariff: each admitted-care spell priced end to end (reference A11).

The pricer is a list of small named steps, each with the tariff years it is
in force and an applicability check; ``STEPS`` is the rule book grouped by
tariff year. Every spell keeps an itemised breakdown (``ctx.detail["spells"]``):

    core (POD tariff, or reduced short-stay emergency tariff)
    + best practice tariff top-up (criteria met)
    + long-stay payment (days beyond trim point x per-day rate)
    + specialised top-up % of (core + BPT + long stay)         [U] base
    + unbundled HRG prices
    = pre-MFF;  x market forces factor = spell payment (rounded half-up to the penny: the one rounding)

Exact arithmetic: pence, basis points (1/10000) for top-up %, 1e-7 for MFF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa

from openpbr.payment.activity import col_bool, col_days, col_int, col_str
from openpbr.payment.calendar import fiscal_year, tariff_year_label, year_fraction
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context
from openpbr.payment.contracts import AcuteTariffModel
from openpbr.payment.money import ROUNDING_RULE, pence, ratio, round_div, round_fraction
from openpbr.payment.prices import load_schedule, schedule_index
from openpbr.payment.statement import Line

MODEL = "acute_tariff"
EMERGENCY_METHODS = {"21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D"}  # [S][7]
MFF_SCALE = 10_000_000
BP = 10_000


@dataclass(frozen=True)
class Step:
    name: str
    first_year: int | None  # tariff year it comes into force (2011 = 2011/12); None = always
    last_year: int | None
    run: Callable[[Spells], None]
    note: str = ""

    def in_force(self, year: np.ndarray) -> np.ndarray:
        m = np.ones(len(year), dtype=bool)
        if self.first_year is not None:
            m &= year >= self.first_year
        if self.last_year is not None:
            m &= year <= self.last_year
        return m


class Spells:
    """Column state for a batch of spells moving through the pricer steps."""

    def __init__(self, t: pa.Table, model: AcuteTariffModel, provider: str):
        self.n = t.num_rows
        self.id = col_str(t, "spell_id")
        self.hrg = col_str(t, "hrg")
        self.pod = np.char.upper(col_str(t, "pod").astype(str))
        adm, dis = col_days(t, "admission_date"), col_days(t, "discharge_date")
        self.los = np.maximum(0, dis - adm)
        self.date = dis if model.tariff_date == "discharge" else adm
        self.year = fiscal_year(self.date)
        self.age = col_int(t, "age", 99)
        self.emergency = np.isin(col_str(t, "admission_method").astype(str), list(EMERGENCY_METHODS))
        self.bpt_met = col_bool(t, "bpt_met")
        self.spec_service = col_str(t, "spec_service").astype(str)
        self.unbundled = col_str(t, "unbundled").astype(str)
        self.readmit = col_bool(t, "elective_readmission_30d")
        self.provider = provider
        self.tariff = schedule_index(model.tariff_schedule)
        self.ub = schedule_index(model.unbundled_schedule)
        self.topups = schedule_index(model.topup_schedule)
        self.mffs = schedule_index(model.mff_schedule)
        self.entry = self.tariff.lookup(self.tariff.codes_for(self.hrg), self.date)

        def z() -> np.ndarray:
            return np.zeros(self.n, dtype=np.int64)

        self.core, self.bpt, self.lsp, self.unb, self.long_days = z(), z(), z(), z(), z()
        self.topup_bp = z()
        self.mff = np.full(self.n, MFF_SCALE, dtype=np.int64)
        self.ssem = np.zeros(self.n, dtype=bool)
        self.code = np.full(self.n, PayCode.PRICED.value, dtype=object)
        self.code[self.entry < 0] = PayCode.NO_PRICE_IN_FORCE.value
        self.code[(self.tariff.codes_for(self.hrg) < 0)] = PayCode.UNKNOWN_CURRENCY.value
        self.reason = np.full(self.n, "", dtype=object)
        self.steps = np.full(self.n, "", dtype=object)

    def field(self, name: str, conv: Callable[[Any], Any] = pence, default: Any = 0) -> np.ndarray:
        vals = self.tariff.field(name, convert=conv, default=default)
        if not len(vals):
            return np.full(self.n, default)
        out: np.ndarray = np.where(self.entry >= 0, vals[np.maximum(self.entry, 0)], default)
        return out

    @property
    def ok(self) -> np.ndarray:
        priced: np.ndarray = self.code == PayCode.PRICED.value
        return priced


def _mark(sp: Spells, m: np.ndarray, step: str) -> None:
    sp.steps[m] = sp.steps[m] + (step + ";")


def core_by_pod(sp: Spells) -> None:
    nel, el, dc = sp.field("nel", default=-1), sp.field("el", default=-1), sp.field("dc", default=-1)
    dc_el = sp.field("dc_el", default=-1)
    core = np.where(sp.pod == "NEL", nel, np.where(dc_el >= 0, dc_el, np.where(sp.pod == "DC", dc, el)))
    missing = sp.ok & (core < 0)
    sp.code[missing] = PayCode.NO_PRICE_IN_FORCE.value
    sp.reason[missing] = "no tariff for this point of delivery"
    sp.core = np.where(sp.ok, np.maximum(core, 0), 0)
    _mark(sp, sp.ok, "core")


def short_stay_emergency(sp: Spells) -> None:
    applicable = sp.field("ssem_applicable", conv=bool, default=False).astype(bool)
    m = sp.ok & (sp.pod == "NEL") & applicable & (sp.los <= 1) & (sp.age >= 19) & sp.emergency
    sp.core = np.where(m, sp.field("ssem_tariff"), sp.core)
    sp.ssem = m
    _mark(sp, m, "ssem")


def long_stay(sp: Spells) -> None:
    trim = np.where(sp.pod == "NEL", sp.field("nel_trim", conv=int, default=10**6),
                    sp.field("el_trim", conv=int, default=10**6))
    sp.long_days = np.where(sp.ok, np.maximum(0, sp.los - trim), 0)
    sp.lsp = sp.long_days * sp.field("per_day_long_stay")
    _mark(sp, sp.long_days > 0, "long_stay")


def best_practice(sp: Spells) -> None:
    applies = sp.field("bpt_applies", conv=str, default="").astype(str)
    pod_ok = ((applies == "NE") & (sp.pod == "NEL")) | ((applies == "EL") & (sp.pod != "NEL")) | (applies == "ALL")
    m = sp.ok & pod_ok & sp.bpt_met
    sp.bpt = np.where(m, sp.field("bpt_top_up"), 0)
    _mark(sp, m, "bpt")


def specialised_topup(sp: Spells) -> None:
    has = sp.ok & (sp.spec_service != "")
    if not has.any():
        return
    j = sp.topups.lookup(sp.topups.codes_for(sp.spec_service), sp.date)
    bp = sp.topups.field("pct", convert=lambda v: int(Decimal(str(v)) * 100), default=0)
    got = has & (j >= 0)
    sp.topup_bp = np.where(got, bp[np.maximum(j, 0)] if len(bp) else 0, 0)
    miss = has & (j < 0)
    sp.code[miss] = PayCode.NO_PRICE_IN_FORCE.value
    sp.reason[miss] = "no specialised top-up in force"
    _mark(sp, got, "spec_topup")


def unbundled(sp: Spells) -> None:
    has = np.nonzero(sp.ok & (sp.unbundled != ""))[0]
    if not len(has):
        return
    price = sp.ub.field("price", convert=pence, default=0)
    for i in has:  # few spells carry unbundled HRGs; each may carry several
        codes = [c for c in sp.unbundled[i].split(";") if c]
        j = sp.ub.lookup(sp.ub.codes_for(np.array(codes, dtype=object)), np.full(len(codes), sp.date[i]))
        if (j < 0).any():
            sp.code[i] = PayCode.NO_PRICE_IN_FORCE.value
            sp.reason[i] = "unbundled HRG without a price: " + ",".join(np.array(codes)[j < 0])
            continue
        sp.unb[i] = int(price[j].sum())
    _mark(sp, sp.unb > 0, "unbundled")


def market_forces(sp: Spells) -> None:
    k = sp.mffs.codes_for(np.array([sp.provider], dtype=object))[0]
    j = sp.mffs.lookup(np.full(sp.n, k), sp.date)
    vals = sp.mffs.field("mff", convert=lambda v: int(Decimal(str(v)) * MFF_SCALE), default=MFF_SCALE)
    miss = sp.ok & (j < 0)
    sp.code[miss] = PayCode.NO_PRICE_IN_FORCE.value
    sp.reason[miss] = "no market forces factor in force for the provider"
    sp.mff = np.where(j >= 0, vals[np.maximum(j, 0)] if len(vals) else MFF_SCALE, MFF_SCALE)
    _mark(sp, sp.ok, "mff")


def elective_readmission(sp: Spells) -> None:
    """From 2011/12: no payment for an emergency readmission within 30 days of an elective discharge [C][9].

    Exclusions (maternity, cancer, under-4s, ...) are applied upstream: the
    input flag marks readmissions that are not excluded.
    """
    m = sp.ok & sp.readmit
    sp.code[m] = PayCode.ZERO_BY_RULE.value
    sp.reason[m] = "emergency readmission within 30 days of elective discharge"
    _mark(sp, m, "readmission_zero")


# The rule book, grouped by tariff year (first year, last year inclusive).
STEPS: tuple[Step, ...] = (
    Step("core_by_pod", None, None, core_by_pod),
    Step("short_stay_emergency", None, None, short_stay_emergency, "conditions 54a-d; 54e [U] not applied"),
    Step("best_practice_tariff", 2010, None, best_practice),
    Step("long_stay_payment", None, None, long_stay),
    Step("specialised_topup", None, None, specialised_topup),
    Step("unbundled", None, None, unbundled),
    Step("market_forces_factor", None, None, market_forces),
    Step("elective_readmission_zero", 2011, 2018, elective_readmission),
)


def steps_for_year(year: int) -> list[str]:
    return [s.name for s in STEPS if s.in_force(np.array([year]))[0]]


def price_spells(t: pa.Table, model: AcuteTariffModel, provider: str) -> pa.Table:
    """Price every spell; return the itemised breakdown table (one row per spell)."""
    sp = Spells(t, model, provider)
    for step in STEPS:
        m = step.in_force(sp.year)
        if m.all():
            step.run(sp)
        elif m.any():  # run the step on the spells of the tariff years where it is in force
            saved = sp.code.copy()
            sp.code = np.where(m, sp.code, "__skip__")
            step.run(sp)
            sp.code = np.where(m, sp.code, saved)
    base = sp.core + sp.bpt + sp.lsp
    pre_num = base * (BP + sp.topup_bp) + sp.unb * BP  # in 1/10000 pence
    total = _mff_round(pre_num, sp.mff)
    paid = np.where(sp.ok, total, 0)
    return pa.table({
        "spell_id": sp.id, "hrg": sp.hrg.astype(str), "pod": sp.pod, "tariff_year": sp.year, "los": sp.los,
        "code": sp.code.astype(str), "reason": sp.reason.astype(str), "steps": sp.steps.astype(str),
        "core_pence": sp.core, "ssem": sp.ssem, "bpt_pence": sp.bpt, "long_stay_days": sp.long_days,
        "long_stay_pence": sp.lsp, "topup_pct_bp": sp.topup_bp,
        "topup_pence_exact": (base * sp.topup_bp) / BP, "unbundled_pence": sp.unb,
        "pre_mff_pence_exact": pre_num / BP, "mff": sp.mff / MFF_SCALE, "priced_pence": total, "paid_pence": paid,
    })


def _mff_round(pre_num: np.ndarray, mff: np.ndarray) -> np.ndarray:
    """round_half_up(pre_num/1e4 x mff/1e7) in exact integers (Python ints where int64 could overflow)."""
    big = pre_num > 900_000_000_000
    out = round_div(np.where(big, 0, pre_num) * mff, BP * MFF_SCALE)
    for i in np.nonzero(big)[0]:
        out[i] = round_fraction(Fraction(int(pre_num[i]) * int(mff[i]), BP * MFF_SCALE))
    return out


def settle(ctx: Context, model: AcuteTariffModel, prior: list[Line]) -> list[Line]:
    t = ctx.table("spells")
    if t is None:
        return []
    a, b = ctx.active_window
    d = col_days(t, "discharge_date" if model.tariff_date == "discharge" else "admission_date")
    t = t.filter(pa.array((d >= a) & (d < b)))
    if not t.num_rows:
        return []
    detail = price_spells(t, model, ctx.contract.provider)
    ctx.detail["spells"] = detail
    refs = [load_schedule(n).ref for n in (model.tariff_schedule, model.unbundled_schedule, model.topup_schedule,
                                           model.mff_schedule)]
    prov = any(load_schedule(n).provisional for n in (model.tariff_schedule, model.mff_schedule))
    lines = []
    g = detail.group_by(["code", "pod"]).aggregate([
        ("paid_pence", "sum"), ("priced_pence", "sum"), ("spell_id", "count"), ("core_pence", "sum"),
        ("long_stay_pence", "sum"), ("long_stay_days", "sum"), ("bpt_pence", "sum"), ("unbundled_pence", "sum"),
        ("topup_pence_exact", "sum"), ("ssem", "sum")]).to_pylist()
    for r in sorted(g, key=lambda r: (r["code"], r["pod"])):
        code = PayCode(r["code"])
        lines.append(Line(
            ctx.contract.contract_id, MODEL, "acute.spell_tariff", code,
            f"Admitted spells {r['pod']}" + ("" if code is PayCode.PRICED else f" not paid ({code.value})"),
            int(r["spell_id_count"]), "spells", int(r["paid_pence_sum"]),
            {"rule": "acute.spell_tariff", "inputs": {
                "spells": int(r["spell_id_count"]), "core_pence": int(r["core_pence_sum"]),
                "short_stay_emergency_spells": int(r["ssem_sum"]), "long_stay_days": int(r["long_stay_days_sum"]),
                "long_stay_pence": int(r["long_stay_pence_sum"]), "bpt_pence": int(r["bpt_pence_sum"]),
                "topup_pence_exact": round(float(r["topup_pence_exact_sum"]), 4),
                "unbundled_pence": int(r["unbundled_pence_sum"]),
                "priced_before_rules_pence": int(r["priced_pence_sum"])},
             "steps_by_tariff_year": {tariff_year_label(int(y)): steps_for_year(int(y))
                                      for y in sorted(set(detail.column("tariff_year").to_pylist()))},
             "prices": refs, "formula": "((core + BPT + long stay) x (1 + top-up%) + unbundled) x MFF, per spell",
             "rounding": ROUNDING_RULE, "provisional": prov}))
    if model.marginal_rate is not None:
        lines += _marginal_rate(ctx, model, detail)
    return lines


def _marginal_rate(ctx: Context, model: AcuteTariffModel, detail: pa.Table) -> list[Line]:
    """MRET, 2010/11 to 2018/19: only ``rate`` of the non-elective value above the baseline is paid [C][16-23].

    The annual baseline is spread over the contract year by days; year-end
    reconciliation re-applies it to the whole year.
    """
    mr = model.marginal_rate
    a, b = ctx.active_window
    year = int(fiscal_year(a))
    if mr is None or not (2010 <= year <= 2018):
        return []
    import pyarrow.compute as pc

    nel = detail.filter(pc.and_(pc.equal(detail.column("pod"), "NEL"), pc.equal(detail.column("code"), "PRICED")))
    actual = int(pc.sum(nel.column("paid_pence")).as_py() or 0)
    frac = year_fraction(ctx.years, a, b)
    baseline = Fraction(mr.baseline_annual) * frac
    excess = max(Fraction(0), actual - baseline)
    rate = ratio(mr.rate)
    amount = -round_fraction(excess * (1 - rate))
    return [Line(ctx.contract.contract_id, MODEL, "acute.marginal_rate_emergency", PayCode.ADJUSTMENT,
                 f"Emergency marginal rate: {mr.rate} of value above baseline paid",
                 0, "", amount,
                 {"rule": "acute.marginal_rate_emergency", "inputs": {
                     "non_elective_value_pence": actual, "baseline_in_window_pence": float(baseline),
                     "excess_pence": float(excess), "marginal_rate": mr.rate,
                     "tariff_year": tariff_year_label(year)},
                  "prices": [], "formula": "-(NE value - baseline x window share of year) x (1 - rate), if positive",
                  "rounding": ROUNDING_RULE, "provisional": False})]
