"""Outcomes use cases: indicators for a window, SPC series, gaming checks, the commissioner's report.

Inputs come from the records database (a URL), from CSV extracts, or from
the seeded synthetic trust; the window is explicit (no "today" inside).
Reads are scoped: a caller limited to some organisations sees only episodes
whose provider or commissioner is one of them, so every figure (trust-wide
ones included) is computed from their slice alone; an empty scope reads
nothing. Results are typed; tables stay Arrow tables (they can be large) and
each result offers plain rows for a JSON face.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.errors import InputError
from openpbr.outcomes.inputs import OutcomeInputs

UNIT_TYPES = ("trust", "provider", "commissioner", "team", "cluster")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


# ---------------------------------------------------------------- windows


def parse_month(text: str, option: str = "--month", *, last_day: bool = False) -> date:
    """YYYY-MM (or YYYY-MM-DD): the first day of that month, or its last with ``last_day``."""
    m = _MONTH.match((text or "").strip()) if (text or "").isascii() else None
    try:
        if not m:
            raise ValueError
        y, mo = int(m.group(1)), int(m.group(2))
        date(y, mo, int(m.group(3) or 1))  # a bad day in YYYY-MM-DD is refused too
    except ValueError:
        raise InputError(f"{option}: {str(text)[:40]!r} is not a month; use YYYY-MM (for example 2024-03)", code="BAD_DATE") from None
    return date(y, mo, calendar.monthrange(y, mo)[1] if last_day else 1)


@dataclass(frozen=True)
class Window:
    """Whole months, from the first day of ``start``'s month to the last day of ``end``'s."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date) -> Window:
        if start > end:
            raise InputError(f"the window starts ({start.isoformat()}) after it ends ({end.isoformat()}): give --from before --to", code="BAD_DATE")
        return cls(start, end)

    @classmethod
    def months(cls, first: str, last: str, first_option: str = "--from", last_option: str = "--to") -> Window:
        return cls.of(parse_month(first, first_option), parse_month(last, last_option, last_day=True))


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Source:
    """Where indicator inputs come from: at most one of a database URL, a CSV folder or a synthetic seed.

    None of them means the one default database (``openpbr.db.database_url``), as for every command.
    """

    database_url: str | None = None
    csv_folder: Path | None = None
    synthetic_seed: int | None = None

    def __post_init__(self) -> None:
        given = [x is not None for x in (self.database_url, self.csv_folder, self.synthetic_seed)]
        if sum(given) > 1:
            raise InputError("give at most one of --db, --csv or --synthetic (default: the database)")


def load_inputs(source: Source, window: Window, scope: Scope) -> OutcomeInputs:
    """The four input tables for ``window``, limited to what ``scope`` may see."""
    if source.csv_folder is None and source.synthetic_seed is None:
        from openpbr.db import require_database
        from openpbr.outcomes.records_adapter import read_inputs

        inputs = read_inputs(require_database(source.database_url), window.start, window.end)
    elif source.csv_folder is not None:
        inputs = _read_csv_inputs(Path(source.csv_folder))
    else:
        from openpbr.outcomes.synthetic import gaming_trust

        inputs = gaming_trust(seed=source.synthetic_seed)[0]
    return scoped_inputs(inputs, scope)


def _read_csv_inputs(folder: Path) -> OutcomeInputs:
    from openpbr.outcomes.inputs import InputError as TableError

    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of CSV extracts", code="UNREADABLE_FILE")
    try:
        return OutcomeInputs.read_csv(folder)
    except TableError as exc:
        raise InputError(f"{folder}: {exc}", code="UNREADABLE_FILE") from None
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"{folder}: an extract cannot be read as CSV ({first.split(': ', 2)[-1] if 'parse error' in first else first})", code="UNREADABLE_FILE") from None


def scoped_inputs(inputs: OutcomeInputs, scope: Scope) -> OutcomeInputs:
    """Only episodes whose provider or commissioner the scope allows, and the rows that hang off them."""
    if scope.all_organisations:
        return inputs
    allowed = pa.array(sorted(scope.organisations), pa.string())
    ep = inputs.episodes
    keep = pc.or_(pc.is_in(ep["provider"], value_set=allowed), pc.is_in(ep["commissioner"], value_set=allowed))
    ep = ep.filter(pc.fill_null(keep, False))
    ids, people = ep["episode_id"].combine_chunks(), ep["person_id"].combine_chunks()

    def by(table: pa.Table, col: str, values: pa.Array) -> pa.Table:
        return table.filter(pc.fill_null(pc.is_in(table[col], value_set=values), False))

    return OutcomeInputs(
        episodes=ep,
        cluster_periods=by(inputs.cluster_periods, "episode_id", ids),
        assessments=by(inputs.assessments, "episode_id", ids),
        accommodation=by(inputs.accommodation, "person_id", people),
        source=f"{inputs.source} (scope {scope.actor})",
    )


# ---------------------------------------------------------------- indicators


class IndicatorRow(BaseModel):
    indicator_id: str
    unit_type: str
    unit: str
    period: str
    numerator: int
    denominator: int
    value: float | None
    low_is_good: bool | None
    provisional: bool
    definition_ref: str


@dataclass(frozen=True)
class IndicatorResults:
    window: Window
    results: pa.Table  # RESULT_SCHEMA, one row per indicator x unit x month
    pair_status: dict[str, int]
    definitions: list[Any]
    source: str

    def rows(self) -> list[IndicatorRow]:
        return [IndicatorRow(**{k: r[k] for k in IndicatorRow.model_fields}) for r in self.results.to_pylist()]


def indicators(source: Source, window: Window, scope: Scope) -> IndicatorResults:
    """Every indicator per trust, provider, commissioner, team and cluster, for each month of the window."""
    from openpbr.outcomes.indicators import compute_indicators

    inputs = load_inputs(source, window, scope)
    run = compute_indicators(inputs, window.start, window.end)
    return IndicatorResults(window, run.results, dict(run.populations.pairs.status_counts()), run.definitions, inputs.source)


def read_results(path: str | Path) -> pa.Table:
    """An indicator results CSV written by ``outcomes indicators``, or one line saying why it cannot be used."""
    import pyarrow.csv as pacsv

    from openpbr.outcomes.indicators import RESULT_SCHEMA

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file", code="UNREADABLE_FILE")
    wrong = InputError(f"{p}: not an indicator results CSV (write one with `openpbr outcomes indicators`)", code="UNREADABLE_FILE")
    try:
        table = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(column_types=RESULT_SCHEMA, strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise wrong from None
    if set(RESULT_SCHEMA.names) - set(table.column_names):
        raise wrong
    return table


# ---------------------------------------------------------------- SPC


class SpcPoint(BaseModel):
    label: str
    value: float | None
    special_cause: bool
    variation: str


class SpcSeries(BaseModel):
    indicator_id: str
    unit_type: str
    unit: str
    low_is_good: bool | None
    mean: float | None
    ucl: float | None
    lcl: float | None
    points: list[SpcPoint]
    rules_ref: str | None


def _num(x: float) -> float | None:
    return None if x is None or x != x else float(x)


def spc_series(results: pa.Table, indicator_id: str, unit_type: str = "trust", unit: str = "all") -> SpcSeries:
    """One indicator's XmR chart for one unit: limits, special-cause points and the variation of each month."""
    from openpbr.outcomes.spc import series, xmr

    labels, values, low = series(results, indicator_id, unit_type, unit)
    if len(labels) < 2:
        return SpcSeries(indicator_id=indicator_id, unit_type=unit_type, unit=unit, low_is_good=low, mean=None, ucl=None, lcl=None,
                         points=[SpcPoint(label=lab, value=_num(v), special_cause=False, variation="too few points") for lab, v in zip(labels, values)],
                         rules_ref=None)  # fmt: skip
    chart = xmr(values, labels, low)
    special = chart.special
    return SpcSeries(
        indicator_id=indicator_id, unit_type=unit_type, unit=unit, low_is_good=low,
        mean=_num(chart.mean), ucl=_num(chart.ucl), lcl=_num(chart.lcl), rules_ref=chart.rules_ref,
        points=[SpcPoint(label=lab, value=_num(v), special_cause=bool(s), variation=var)
                for lab, v, s, var in zip(chart.labels, chart.values, special, chart.variation)],
    )  # fmt: skip


def xmr_rows(results: pa.Table, unit_type: str, unit: str | None = None, indicators: list[str] | None = None) -> pa.Table:
    """The XmR table (every point with its limits and rules) for one unit type, optionally one unit and some indicators."""
    from openpbr.outcomes.spc import xmr_table

    check_unit_type(unit_type)
    data = xmr_table(results, unit_types=(unit_type,))
    if unit:
        data = data.filter(pc.equal(data["unit"], unit))
    if indicators:
        data = data.filter(pc.is_in(data["indicator_id"], value_set=pa.array(indicators, pa.string())))
    return data


def check_unit_type(unit_type: str) -> None:
    if unit_type not in UNIT_TYPES:
        raise InputError(f"--unit-type: {unit_type[:40]!r} is not one of {', '.join(UNIT_TYPES)}")


# ---------------------------------------------------------------- gaming


class FindingOut(BaseModel):
    detector: str
    unit_type: str
    unit: str
    z: float | None
    reason: str


@dataclass(frozen=True)
class GamingResult:
    """Every check run (flagged or not) and the flags, so a report can say "84 checks run, none flagged"."""

    window: Window
    findings: pa.Table  # FINDING_SCHEMA: one row per detector x unit examined
    thresholds_ref: str
    funnel: dict | None = None

    @property
    def checks_run(self) -> int:
        return self.findings.num_rows

    @property
    def flagged(self) -> list[FindingOut]:
        rows = self.findings.filter(pc.equal(self.findings["flagged"], True)).to_pylist()
        return [FindingOut(detector=r["detector"], unit_type=r["unit_type"], unit=r["unit"], z=_num(r["z"]), reason=r["reason"]) for r in rows]

    def summary(self) -> str:
        n = len(self.flagged)
        return f"{self.checks_run} checks run, {'none' if n == 0 else n} flagged"


def parse_threshold_overrides(items: list[str]) -> dict[str, dict[str, float]]:
    """``group.field=value`` pairs (``--set upcoding_drift.z=2.5``)."""
    out: dict[str, dict[str, float]] = {}
    for item in items:
        key, _, value = item.partition("=")
        group, _, name = key.partition(".")
        try:
            if not (group and name and value):
                raise ValueError
            out.setdefault(group.strip(), {})[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--set wants group.field=number, got {item[:60]!r}") from None
    return out


def gaming(source: Source, window: Window, scope: Scope, overrides: dict | None = None,
           unit_types: tuple[str, ...] = ("provider", "team"), funnel_unit_type: str | None = None) -> GamingResult:  # fmt: skip
    """Upcoding, poor-fit pricing, selection and implausible-outcome checks, with the thresholds in force at the window's end."""
    from openpbr.outcomes.config import cluster_prices, gaming_thresholds, outcome_rules
    from openpbr.outcomes.gaming.context import build_context
    from openpbr.outcomes.gaming.findings import to_table
    from openpbr.outcomes.gaming.runner import run_detectors

    known = gaming_thresholds(window.end)
    for group, patch in (overrides or {}).items():
        if group not in known.keys():
            raise InputError(f"--set: no threshold group {group[:40]!r}; known: {', '.join(known.keys())}")
        fields = known[group] if isinstance(known[group], dict) else {}
        for name in patch:
            if name not in fields:
                raise InputError(f"--set: {group} has no threshold {name[:40]!r}; known: {', '.join(sorted(fields))}")
    th = gaming_thresholds(window.end, overrides=overrides or {})
    prices = cluster_prices(window.end)
    ctx = build_context(load_inputs(source, window, scope), window.start, window.end, outcome_rules(window.end), prices, th)
    findings = to_table(run_detectors(ctx, th, prices, unit_types))
    funnel = None
    if funnel_unit_type:
        from openpbr.outcomes.gaming.plausibility import funnel_data

        funnel = funnel_data(ctx, funnel_unit_type, th)
    return GamingResult(window, findings, th.ref, funnel)


# ---------------------------------------------------------------- pairs


@dataclass(frozen=True)
class PairResult:
    table: pa.Table
    status: dict[str, int]
    transitions: pa.Table | None = None


def pairs(source: Source, window: Window, scope: Scope, basis: str = "episode", transitions_by: str | None = None) -> PairResult:
    from openpbr.outcomes.pairing import item_transitions, pair_outcomes

    if basis not in ("episode", "cluster_period"):
        raise InputError(f"--basis: {basis[:40]!r} is not episode or cluster_period")
    p = pair_outcomes(load_inputs(source, window, scope), basis=basis)
    trans = item_transitions(p, by=transitions_by) if transitions_by else None
    return PairResult(p.table, dict(p.status_counts()), trans)


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class ReportResult:
    path: Path
    indicators_shown: int
    checks_run: int
    flagged: int
    summary: str = field(default="")


def report(source: Source, window: Window, scope: Scope, out: str | Path, title: str) -> ReportResult:
    """The one-page commissioner report (PDF, or HTML by the file's suffix), written atomically."""
    import tempfile

    from openpbr.outcomes.charts import xmr_png
    from openpbr.outcomes.indicators import compute_indicators
    from openpbr.outcomes.report import render_html, render_pdf, summary_rows
    from openpbr.outcomes.spc import series, xmr

    out = Path(out)
    inputs = load_inputs(source, window, scope)
    run = compute_indicators(inputs, window.start, window.end)
    from openpbr.outcomes.gaming import detect_gaming

    findings = detect_gaming(inputs, window.start, window.end, unit_types=("provider",))
    checks = GamingResult(window, findings, "")
    if out.suffix.lower() == ".html":
        render_html(out, title, window.start, window.end, run.results, run.definitions, findings)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            labels, vals, low = series(run.results, "within_review_pct")
            png = xmr_png(xmr(vals, labels, low), "% within cluster review period (trust)", Path(tmp) / "c.png", percent=True) if len(labels) >= 2 else None
            render_pdf(out, title, window.start, window.end, run.results, run.definitions, findings, png)
    shown = len(summary_rows(run.results, run.definitions))
    return ReportResult(out, shown, checks.checks_run, len(checks.flagged), checks.summary())


def definitions(on: date) -> list[Any]:
    """The governed indicator definitions in force ``on`` a date."""
    from openpbr.outcomes.definitions import load_definitions

    return load_definitions(on)


def write_synthetic(out: str | Path, seed: int, people: int) -> dict:
    """CSV extracts of the seeded synthetic trust plus ``planted.json`` (the gaming planted on purpose)."""
    import json

    from openpbr.io.safe import atomic_path
    from openpbr.outcomes.synthetic import gaming_trust

    if people < 1:
        raise InputError("--people must be at least 1")
    inputs, truth = gaming_trust(n_people=people, seed=seed)
    inputs.write_csv(out)
    with atomic_path(Path(out) / "planted.json") as tmp:
        tmp.write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return truth


__all__ = [
    "GamingResult", "IndicatorResults", "PairResult", "ReportResult", "Source", "SpcSeries", "Window",
    "definitions", "gaming", "indicators", "load_inputs", "pairs", "parse_month", "parse_threshold_overrides",
    "read_results", "report", "scoped_inputs", "spc_series", "write_synthetic", "xmr_rows",
]  # fmt: skip
