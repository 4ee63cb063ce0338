"""Commissioner outcome pages without a browser: charts with tables and readings, findings with counts, scope."""

from __future__ import annotations

import re

import pytest

from openpbr.access import Role, Scope
from openpbr.web.outcomes import Chart, ChartPoint, reading, visible_unit


def test_indicator_charts_have_a_table_and_a_reading(web):
    web.sign_in("commissioner")
    r = web.client.get("/indicators")
    assert r.status_code == 200
    svgs = re.findall(r"<svg class=\"openpbr-chart\".*?</svg>", r.text, re.S)
    assert svgs, "no chart"
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert r.text.count("the chart's numbers") == len(svgs)
    assert r.text.count("<strong>Reading:</strong>") == len(svgs)
    assert "Commissioner: 01X" in r.text and "Commissioner: 02X" not in r.text


def test_gaming_findings_state_how_many_checks_ran(web):
    web.sign_in("commissioner")
    r = web.client.get("/gaming")
    assert r.status_code == 200
    assert re.search(r"\d+ checks run, (none flagged|\d+ flagged)", r.text)
    web.sign_in("clinician")
    assert web.client.get("/gaming").status_code == 404


def test_printable_report(web):
    web.sign_in("commissioner")
    r = web.client.get("/report")
    assert r.status_code == 200 and "Report for 01X" in r.text and "checks run" in r.text


@pytest.mark.parametrize("unit_type, unit, visible", [
    ("trust", "all", True), ("commissioner", "01X", True), ("commissioner", "02X", False),
    ("provider", "R01", False), ("team", "R01-T01", False), ("provider_commissioner", "R02|01X", True),
    ("provider_commissioner", "R02|02X", False), ("cluster", "11", False),
])
def test_commissioner_sees_only_its_own_units(unit_type, unit, visible):
    scope = Scope(actor="c", role=Role.COMMISSIONER, organisations=frozenset({"01X"}))
    assert visible_unit(scope, unit_type, unit) is visible


def test_reading_names_the_latest_month_and_the_signals():
    pts = [ChartPoint(f"2024-0{i}", v, 0, 0, s) for i, (v, s) in enumerate(
        [(0.5, "common_cause"), (0.52, "common_cause"), (0.9, "improvement")], start=1)]
    c = Chart("x", "X", "trust", "all", "proportion", pts, 0.6, 0.8, 0.4, False, False, "")
    text = reading(c)
    assert text.startswith("90.0% in 2024-03, above the upper limit")
    assert "1 of 3 months show special-cause improvement" in text
    calm = Chart("x", "X", "trust", "all", "count", pts[:2], 0.51, 0.8, 0.2, None, False, "")
    assert reading(calm).endswith("only common-cause variation: no month stands out.")


def test_chart_labels_never_overlap_when_limits_meet_the_mean():
    from openpbr.web.charts import xmr_svg

    flat = [ChartPoint(f"2024-0{i}", 0.0, 0, 1, "common_cause") for i in range(1, 6)]
    svg = str(xmr_svg(Chart("x", "X", "trust", "all", "proportion", flat, 0.0, 0.0, 0.0, False, False, "flat"), "c"))
    assert svg.count(">Mean<") == 1 and ">Upper limit<" not in svg and ">Lower limit<" not in svg
