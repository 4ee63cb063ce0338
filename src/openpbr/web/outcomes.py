"""Indicators, XmR series and gaming findings for the pages, filtered to the viewer's organisations.

Computed from the records for the 12 months to the page date and kept for a
few minutes (the same inputs give the same results), so a chart page is not a
fresh computation each time.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from openpbr.access import Scope, require

CACHE_SECONDS = 300
_cache: dict[tuple, tuple[float, Any]] = {}
_lock = threading.Lock()


def window(on: date, months: int = 12) -> tuple[date, date]:
    end = on.replace(day=1) - timedelta(days=1)  # the last complete month
    start = end.replace(day=1)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


def _cached(key: tuple, compute):  # type: ignore[no-untyped-def]
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = compute()
    with _lock:
        _cache[key] = (now, value)
    return value


def _inputs(session: Session, start: date, end: date):  # type: ignore[no-untyped-def]
    from openpbr.outcomes.records_adapter import read_inputs

    return _cached(("inputs", str(session.get_bind().url), start, end),
                   lambda: read_inputs(session.get_bind(), start, end))


def visible_unit(scope: Scope, unit_type: str, unit: str) -> bool:
    """Which indicator units a scope may see: its own organisation's, and the whole-trust aggregate."""
    if scope.all_organisations or unit_type == "trust":
        return True
    orgs = scope.organisations
    if unit_type in ("provider", "commissioner"):
        return unit in orgs
    if unit_type == "team":
        return unit.split("-")[0] in orgs
    if unit_type in ("provider_commissioner", "provider_commissioner_need"):
        return any(part in orgs for part in unit.split("|")[:2])
    return False


def indicator_results(session: Session, scope: Scope, on: date) -> tuple[pa.Table, list, date, date]:
    from openpbr.outcomes.indicators import compute_indicators

    require(scope, "outcomes:read")
    start, end = window(on)
    run = _cached(("indicators", str(session.get_bind().url), start, end),
                  lambda: compute_indicators(_inputs(session, start, end), start, end,
                                             unit_types=("trust", "provider", "commissioner", "team",
                                                         "provider_commissioner")))
    t = run.results
    keep = np.array([visible_unit(scope, ut, u) for ut, u in zip(t["unit_type"].to_pylist(), t["unit"].to_pylist())],
                    dtype=bool)
    return t.filter(pa.array(keep)), run.definitions, start, end


@dataclass(frozen=True)
class ChartPoint:
    period: str
    value: float
    numerator: int
    denominator: int
    signal: str  # common_cause | improvement | concern | neither


@dataclass(frozen=True)
class Chart:
    indicator: str
    title: str
    unit_type: str
    unit: str
    kind: str
    points: list[ChartPoint]
    mean: float
    ucl: float
    lcl: float
    low_is_good: bool | None
    provisional: bool
    reading: str


def _fmt(kind: str, v: float) -> str:
    return f"{v * 100:.1f}%" if kind == "proportion" else f"{v:,.0f}"


def reading(c: Chart) -> str:
    """One line saying what the chart shows."""
    if not c.points:
        return "No months with data."
    last = c.points[-1]
    special = [p for p in c.points if p.signal != "common_cause"]
    where = ("above the upper limit" if last.value > c.ucl else "below the lower limit" if last.value < c.lcl
             else "within the limits")
    s = (f"{_fmt(c.kind, last.value)} in {last.period}, {where} "
         f"({_fmt(c.kind, c.lcl)} to {_fmt(c.kind, c.ucl)}, mean {_fmt(c.kind, c.mean)}); ")
    if not special:
        return s + "only common-cause variation: no month stands out."
    kinds = sorted({p.signal for p in special})
    words = {"improvement": "improvement", "concern": "concern", "neither": "a change (no better or worse direction)"}
    return s + f"{len(special)} of {len(c.points)} months show special-cause " + " and ".join(words[k] for k in kinds) + "."


def chart(results: pa.Table, definitions: list, indicator: str, unit_type: str, unit: str) -> Chart | None:
    from openpbr.outcomes.spc import series, xmr

    d = next((x for x in definitions if x.id == indicator), None)
    if d is None:
        return None
    labels, values, low = series(results, indicator, unit_type, unit)
    if not labels:
        return None
    import pyarrow.compute as pc

    m = pc.and_(pc.and_(pc.equal(results["indicator_id"], indicator), pc.equal(results["unit_type"], unit_type)),
                pc.equal(results["unit"], unit))
    t = results.filter(m).sort_by("period")
    nd = {p: (n, dd) for p, n, dd in zip(t["period"].to_pylist(), t["numerator"].to_pylist(), t["denominator"].to_pylist())}
    x = xmr(values, labels, low)
    pts = [ChartPoint(p, float(v), *nd.get(p, (0, 0)), s) for p, v, s in zip(x.labels, x.values, x.variation)]
    c = Chart(indicator, d.title, unit_type, unit, d.kind, pts, x.mean, x.ucl, x.lcl, low,
              bool(t["provisional"][0].as_py()) if t.num_rows else False, "")
    return Chart(**{**c.__dict__, "reading": reading(c)})


@dataclass(frozen=True)
class FindingRow:
    detector: str
    unit_type: str
    unit: str
    flagged: bool
    reason: str
    numbers: dict


def gaming_findings(session: Session, scope: Scope, on: date) -> tuple[list[FindingRow], date, date]:
    from openpbr.outcomes.gaming import detect_gaming

    require(scope, "outcomes:read")
    start, end = window(on)
    table = _cached(("gaming", str(session.get_bind().url), start, end),
                    lambda: detect_gaming(_inputs(session, start, end), start, end))
    rows = []
    providers = _commissioned_providers(scope)
    for r in table.to_pylist():
        unit_type, unit = r["unit_type"], r["unit"]
        commissioned = (unit_type == "provider" and unit in providers) or (
            unit_type == "team" and unit.split("-")[0] in providers)
        if not visible_unit(scope, unit_type, unit) and not commissioned:
            continue
        rows.append(FindingRow(r["detector"], unit_type, r["unit"], bool(r["flagged"]), r["reason"],
                               json.loads(r["numbers"] or "{}")))
    rows.sort(key=lambda f: (not f.flagged, f.detector, f.unit))
    return rows, start, end


def _commissioned_providers(scope: Scope) -> set[str]:
    """A commissioner sees findings about the providers (and their teams) it holds contracts with."""
    from openpbr.access import Role
    from openpbr.web.settlement import contracts_in_scope

    if scope.role is not Role.COMMISSIONER:
        return set()
    return {c.provider for c in contracts_in_scope(scope)}
