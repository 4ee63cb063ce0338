"""Seeded synthetic trust with planted upcoding, cream-skimming and inflated outcomes:
the detectors find the planted providers and no honest one."""

import json
from datetime import date

import pytest

from openpbr.outcomes.config import gaming_thresholds
from openpbr.outcomes.gaming import detect_gaming
from openpbr.outcomes.synthetic import ProviderSpec, TrustSpec, gaming_trust, synthetic_trust

WINDOW = (date(2022, 4, 1), date(2025, 3, 31))
UPCODING = {"upcoding_drift", "poor_fit_pricey"}
SELECTION = {"selection_discharge", "selection_parking", "selection_turned_away"}
HONEST = {"RH1", "RH2", "RH3"}


def provider_of(unit: str) -> str:
    return unit.split("-")[0]


@pytest.fixture(scope="module", params=[20261122, 7])
def findings(request):
    inputs, truth = gaming_trust(seed=request.param)
    return detect_gaming(inputs, *WINDOW).to_pylist(), truth


def flagged(rows, detectors, unit_type="provider"):
    return {r["unit"] for r in rows if r["flagged"] and r["detector"] in detectors and r["unit_type"] == unit_type}


def test_upcoder_found(findings):
    rows, truth = findings
    assert flagged(rows, {"upcoding_drift"}) == set(truth["upcoders"]) == {"RUP"}
    assert flagged(rows, {"poor_fit_pricey"}) == {"RUP"}


def test_cream_skimmer_found(findings):
    rows, truth = findings
    assert truth["cream_skimmers"] == ["RCS"]
    for d in SELECTION:
        assert flagged(rows, {d}) == {"RCS"}, d


def test_implausible_improvement_found(findings):
    rows, truth = findings
    assert flagged(rows, {"implausible_improvement"}) == set(truth["inflators"]) == {"RIN"}


def test_no_honest_provider_or_team_flagged(findings):
    rows, _ = findings
    for r in rows:
        if r["flagged"]:
            assert provider_of(r["unit"]) not in HONEST, r["reason"]


def test_team_flags_stay_inside_the_planted_provider(findings):
    rows, _ = findings
    teams = {provider_of(u) for u in flagged(rows, UPCODING, "team")}
    assert teams == {"RUP"}
    assert {provider_of(u) for u in flagged(rows, SELECTION, "team")} <= {"RCS"}


def test_each_flag_says_why_with_numbers(findings):
    rows, _ = findings
    up = next(r for r in rows if r["flagged"] and r["detector"] == "upcoding_drift" and r["unit_type"] == "provider")
    nums = json.loads(up["numbers"])
    assert nums["chosen_price_recent"] - nums["expected_price_recent"] > nums["chosen_price_baseline"] - nums["expected_price_baseline"]
    assert "z =" in up["reason"] and "£" in up["reason"] and up["z"] > 3
    assert up["thresholds"].startswith("outcomes.gaming_thresholds@")
    sel = next(r for r in rows if r["flagged"] and r["detector"] == "selection_turned_away" and r["unit_type"] == "provider")
    n = json.loads(sel["numbers"])
    assert n["high_need_rate"] > n["other_rate"] and n["ratio_of_ratios"] >= 1.5


def test_thresholds_are_configurable():
    inputs, _ = gaming_trust(n_people=4000, seed=11)
    strict = gaming_thresholds(WINDOW[1], overrides={k: {"z": 50.0} for k in (
        "upcoding_drift", "poor_fit_pricey", "selection_discharge", "selection_parking", "selection_turned_away", "implausible_improvement")})
    rows = detect_gaming(inputs, *WINDOW, thresholds=strict).to_pylist()
    assert not any(r["flagged"] for r in rows)
    assert all("(overridden)" in s.source for s in [strict.setting("upcoding_drift")])


def test_an_honest_trust_raises_no_flags():
    providers = tuple(ProviderSpec(f"RH{i}", n_teams=3, severity_shift=s) for i, s in enumerate((-0.4, 0.0, 0.3, 0.6)))
    inputs, truth = synthetic_trust(TrustSpec(providers=providers, n_people=8000, seed=99))
    rows = detect_gaming(inputs, *WINDOW).to_pylist()
    assert truth["upcoders"] == [] and not [r["reason"] for r in rows if r["flagged"]]


def test_small_units_are_not_assessed_not_flagged():
    providers = (ProviderSpec("RA", share=1.0), ProviderSpec("RB", share=0.01, upcode_rate=0.5, upcode_from=date(2023, 6, 1)))
    inputs, _ = synthetic_trust(TrustSpec(providers=providers, n_people=2000, seed=5))
    rows = [r for r in detect_gaming(inputs, *WINDOW, unit_types=("provider",)).to_pylist() if r["unit"] == "RB"]
    assert rows and all(not r["flagged"] for r in rows)
    assert any(r["reason"].startswith("not assessed") for r in rows)
