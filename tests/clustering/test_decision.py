"""The clinician decides: overrides need reasons; confirmations do not."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from openpbr.cli import app
from openpbr.clustering import ITEM_CODES, Assessment, suggest
from openpbr.clustering.decision import DecisionCode, DecisionError, decide

FEP = {"item_06": "3", "item_07": "1", "item_09": "2", "item_10": "1", "item_12": "2"}  # suggests 10


def assessment(**ctx) -> Assessment:
    row = {c: FEP.get(c, "0") for c in ITEM_CODES} | {"assessment_id": "D1", "assessed_on": "2024-06-01"} | ctx
    return Assessment.from_mapping(row)


# (chosen, reason, expected code or error, why)
SPEC = [
    ("10", None, DecisionCode.CONFIRMED, "same as the suggestion, no red rule"),
    ("10", "agree", DecisionCode.CONFIRMED, "a reason on a confirmation is kept but not needed"),
    ("14", None, DecisionCode.OVERRIDE_REASON_REQUIRED, "differs from the suggestion"),
    ("14", "n/a", DecisionCode.OVERRIDE_REASON_REQUIRED, "a token reason is not a reason"),
    ("14", "Escalating risk since rating; crisis team involved", DecisionCode.OVERRIDDEN, "differs, with a reason"),
    ("01", "Clinician judges psychotic symptoms drug-induced", DecisionCode.OVERRIDDEN, "differs and breaks 01's red rule on item_06"),
    ("09", "whatever reason", DecisionCode.INVALID_CLUSTER, "09 is never allocated"),
    ("22", "whatever reason", DecisionCode.INVALID_CLUSTER, "not a cluster"),
]


@pytest.mark.parametrize("chosen, reason, expected, why", SPEC, ids=[w for *_, w in SPEC])
def test_decision_spec(chosen, reason, expected, why):
    a = assessment(psychosis_history="N")
    alloc = suggest(a)
    assert alloc.cluster == "10"
    if expected in (DecisionCode.CONFIRMED, DecisionCode.OVERRIDDEN):
        d = decide(a, alloc, chosen, "clinician-7", reason)
        assert d.code is expected and d.suggested == "10" and d.chosen == chosen
        assert d.trace["suggested"] == "10" and d.trace["chosen"] == chosen
    else:
        with pytest.raises(DecisionError) as err:
            decide(a, alloc, chosen, "clinician-7", reason)
        assert err.value.code is expected


def test_choosing_the_suggestion_that_breaks_a_context_rule_still_needs_a_reason():
    a = assessment(psychosis_history="Y")  # 10 presumes no psychosis history
    alloc = suggest(a)
    with pytest.raises(DecisionError, match="breaks First episode psychosis presumes"):
        decide(a, alloc, "10", "clinician-7")
    d = decide(a, alloc, "10", "clinician-7", "History was a drug-induced episode, not psychosis")
    assert d.code is DecisionCode.OVERRIDDEN and [str(r) for r in d.red_rules_broken] == ["10:no-prior-psychosis"]


def test_clinician_is_required():
    a = assessment()
    with pytest.raises(DecisionError) as err:
        decide(a, suggest(a), "10", " ")
    assert err.value.code is DecisionCode.MISSING_CLINICIAN


def test_confirm_command_checks_a_decisions_file(tmp_path):
    src = tmp_path / "a.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assessment_id", *ITEM_CODES, "item_08_type", "psychosis_history"])
        w.writerow(["D1", *[FEP.get(c, "0") for c in ITEM_CODES], "", "N"])
        w.writerow(["D2", *["0"] * 6, "1", "2", *["0"] * 10, "B", "N"])
    dec = tmp_path / "d.csv"
    dec.write_text("assessment_id,chosen_cluster,chosen_by,override_reason\nD1,14,c-1,\nD2,01,c-2,\nD3,01,c-2,\n")
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(app, ["confirm", "--in", str(src), "--decisions", str(dec), "--out", str(out), "--strict"])
    assert result.exit_code == 1
    rows = {r["assessment_id"]: r for r in csv.DictReader(out.open())}
    assert rows["D1"]["decision"] == "OVERRIDE_REASON_REQUIRED" and "line 2" in rows["D1"]["message"]
    assert rows["D2"]["decision"] == "CONFIRMED" and rows["D2"]["cluster"] == "01"
    assert rows["D3"]["decision"] == "UNKNOWN_ASSESSMENT"


def test_age_is_context_choosing_an_organic_cluster_at_30_needs_a_reason():
    row = {c: "0" for c in ITEM_CODES} | {"item_04": "2", "item_05": "1", "item_07": "1", "assessment_id": "Y1", "age": "30", "psychosis_history": "N"}
    a = Assessment.from_mapping(row)
    alloc = suggest(a)
    assert alloc.cluster == "01" and "18" in alloc.trace["breaches"]
    with pytest.raises(DecisionError, match="rare before age 40"):
        decide(a, alloc, "18", "clinician-7", None)
    d = decide(a, alloc, "18", "clinician-7", "Acquired brain injury after road accident")
    assert [str(r) for r in d.red_rules_broken] == ["18:organic-under-40"]
