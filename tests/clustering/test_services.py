"""The clustering service: typed, serialisable results for one assessment, a decision, a file, reference data."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.errors import InputError
from openpbr.services import clustering as svc

FEP = {"item_06": "3", "item_07": "1", "item_09": "2", "item_10": "1", "item_12": "2"}  # suggests 10
ROW = {c: FEP.get(c, "0") for c in ITEM_CODES} | {"assessment_id": "S1", "assessed_on": "2024-06-01", "psychosis_history": "N"}
GOLDEN = Path(__file__).parent / "golden"


def test_suggestion_has_candidates_items_and_serialises():
    s = svc.suggest_assessment(ROW)
    assert s.result_code == "OK" and s.cluster == "10" and s.review_due is not None
    assert [c.rank for c in s.candidates] == [1, 2, 3] and s.candidates[0].cluster == "10"
    assert [i.item for i in s.items] == list(ITEM_CODES) and s.items[5].rating == 3
    back = json.loads(s.model_dump_json())
    assert back["cluster"] == "10" and back["trace"]["profile_set"] == s.profile_set


def test_unreadable_assessment_is_a_result_with_field_problems_not_an_exception():
    s = svc.suggest_assessment(ROW | {"item_01": "\u0663", "assessment_id": "=1+1"})
    assert s.result_code == "INVALID_RATING" and s.cluster is None
    assert [(p.code, p.field) for p in s.problems] == [("INVALID_RATING", "item_01")]


def test_decide_confirms_overrides_and_refuses_with_codes():
    assert svc.decide_assessment(ROW, "10", "clin-1").decision == "CONFIRMED"
    refused = svc.decide_assessment(ROW, "03", "clin-1")
    assert (refused.decision, refused.accepted) == ("OVERRIDE_REASON_REQUIRED", False)
    assert "needs a reason" in refused.message
    over = svc.decide_assessment(ROW, "03", "clin-1", "seen at home: more stable than rated", date(2024, 6, 2))
    assert (over.decision, over.accepted, over.chosen, over.decided_on) == ("OVERRIDDEN", True, "03", date(2024, 6, 2))
    assert svc.decide_assessment(ROW, "99", "clin-1").decision == "INVALID_CLUSTER"
    assert json.loads(over.model_dump_json())["trace"]["chosen"] == "03"


def test_cluster_csv_returns_counts_names_and_the_output(tmp_path):
    result = svc.cluster_csv(GOLDEN / "assessments.csv", tmp_path / "a" / "out.csv", names_on=date(2024, 6, 1))
    assert result.rows == 205 and result.bad_rows == 5 and result.warnings == []
    assert sum(c.rows for c in result.codes) == 205 and all(c.meaning for c in result.codes)
    assert all(k.name for k in result.clusters)
    assert len(list(csv.reader((tmp_path / "a" / "out.csv").open()))) == 206


def test_reference_data_listing_and_typos():
    names = [d.name for d in svc.list_reference_datasets()]
    assert "clusters" in names
    ds = svc.reference_dataset("clusters", date(2024, 1, 1))
    assert ds.items and all(e.valid_from <= date(2024, 1, 1) for e in ds.items)
    with pytest.raises(InputError) as err:
        svc.reference_dataset("cluster")
    assert "no reference dataset named 'cluster'; known: " in str(err.value) and "clusters" in str(err.value)


def test_profile_set_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="no such profile set file"):
        svc.profile_set(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile_set: x\n")
    with pytest.raises(InputError, match="not a valid profile set") as err:
        svc.profile_set(bad)
    assert "\n" not in str(err.value)


def test_confirm_output_is_excel_safe(tmp_path):
    src = tmp_path / "a.csv"
    evil = "=cmd|' /C calc'!A0"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assessment_id", *ITEM_CODES, "item_08_type", "psychosis_history"])
        w.writerow([evil, *[FEP.get(c, "0") for c in ITEM_CODES], "", "N"])
    dec = tmp_path / "d.csv"
    with dec.open("w", newline="") as f:
        csv.writer(f).writerows([["assessment_id", "chosen_cluster", "chosen_by", "override_reason"], [evil, "10", "@clin", ""]])
    counts = svc.confirm_csv(src, dec, tmp_path / "new" / "o.csv")
    assert counts == {"CONFIRMED": 1}
    row = next(csv.DictReader((tmp_path / "new" / "o.csv").open()))
    assert row["assessment_id"] == "'" + evil and row["chosen_by"] == "'@clin"
