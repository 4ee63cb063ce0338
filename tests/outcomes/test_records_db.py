"""Indicators and gaming checks read from the records database, on SQLite and PostgreSQL."""

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from openpbr.outcomes.gaming import detect_gaming
from openpbr.outcomes.indicators import compute_indicators
from openpbr.outcomes.inputs import column
from openpbr.outcomes.records_adapter import from_extracts, read_inputs

START, END = date(2022, 4, 1), date(2024, 3, 31)


def seeded(url):
    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    upgrade(url)
    generate_trust(url, seed=5, size=TrustSize(people=150, years=2, start=START))
    return url


def test_indicators_from_records_db(db_url):
    inputs = read_inputs(seeded(db_url), START, END)
    assert inputs.episodes.num_rows >= 150  # one per person, more if someone moved provider or came back
    assert inputs.cluster_periods.num_rows > 150
    run = compute_indicators(inputs, START, END)
    r = run.results
    assert r.num_rows > 0
    num, den = np.array(r["numerator"].to_pylist()), np.array(r["denominator"].to_pylist())
    assert (num <= den).all()
    assert sum(run.populations.pairs.status_counts().values()) == inputs.episodes.num_rows
    assert set(r["unit_type"].to_pylist()) == {"trust", "provider", "commissioner", "team", "cluster", "provider_commissioner", "provider_commissioner_need"}
    findings = detect_gaming(inputs, START, END)
    assert findings.num_rows > 0


@pytest.mark.postgres
def test_sqlite_and_postgres_agree(sqlite_url, pg_url):
    a = compute_indicators(read_inputs(seeded(sqlite_url), START, END), START, END).results
    b = compute_indicators(read_inputs(seeded(pg_url), START, END), START, END).results
    cols = ["indicator_id", "unit_type", "unit", "period", "numerator", "denominator"]
    assert a.select(cols).sort_by([(c, "ascending") for c in cols[:4]]).equals(b.select(cols).sort_by([(c, "ascending") for c in cols[:4]]))


def _extracts():
    """Two people: SU1 moves provider after a review, SU2 is discharged and comes back."""
    d = date.fromisoformat
    periods = pa.table({
        "period_id": [1, 2, 3, 4, 5], "person": ["SU1", "SU1", "SU2", "SU2", "SU1"],
        "provider": ["R01", "R02", "R01", "R01", "R02"], "commissioner": ["C1"] * 5, "team": ["T1", "T9", "T1", None, "T9"],
        "cluster": ["03", "04", "11", "12", "04"],
        "start_on": [d("2023-01-01"), d("2023-06-01"), d("2023-02-01"), d("2023-09-01"), d("2023-12-01")],
        "end_on": [d("2023-06-01"), d("2023-12-01"), d("2023-05-01"), None, None],
        "suggested_cluster": ["03"] * 5, "fit": [0.9] * 5, "red_rule_breach": [False, True, False, False, False],
        "overridden": [False] * 5, "review_due": [None] * 5, "clust_id": ["A1", "A2", "A3", "A4", "A6"],
    })
    ass = pa.table({
        "clust_id": ["A1", "A2", "A3", "A4", "A5", "A6"], "person": ["SU1", "SU1", "SU2", "SU2", "SU2", "SU1"],
        "assessed_on": [d("2023-01-01"), d("2023-06-01"), d("2023-02-01"), d("2023-09-01"), d("2023-01-15"), d("2023-12-01")],
        **{c: [2] * 6 for c in __import__("openpbr.clustering.ratings", fromlist=["ITEM_CODES"]).ITEM_CODES},
    })
    dis = pa.table({"person": ["SU2"], "provider": ["R01"], "commissioner": ["C1"], "team": ["T1"], "from_cluster": ["11"],
                    "period_start_on": [d("2023-02-01")], "discharged_on": [d("2023-05-01")]})
    acc = pa.table({"person": ["SU1"], "settled_accommodation": [True], "recorded_on": [d("2023-01-01")]})
    return periods, ass, dis, acc


def test_episodes_are_derived_from_periods_and_discharges():
    inputs = from_extracts(*_extracts())
    ep = inputs.episodes.to_pylist()
    # SU1: R01 episode, then R02 episode (two periods); SU2: discharged episode, then a new one
    assert [(e["provider"], e["referred_on"].isoformat(), e["discharged_on"]) for e in ep] == [
        ("R01", "2023-01-01", None), ("R02", "2023-06-01", None), ("R01", "2023-02-01", date(2023, 5, 1)), ("R01", "2023-09-01", None)]
    assert column(inputs.cluster_periods, "episode_id").tolist() == [1, 2, 3, 4, 2]
    assert ep[3]["team"] == "unknown"
    # A5 (15 Jan) predates SU2's first episode: dropped, not guessed
    assert inputs.assessments.num_rows == 5
    assert column(inputs.assessments, "episode_id").tolist() == [1, 2, 3, 4, 2]
    assert column(inputs.cluster_periods, "assessment_id").tolist() == [1, 2, 3, 4, 6]
