"""Invariants of clustering, checked on generated assessments."""

from __future__ import annotations

import csv
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openpbr.clustering import ITEM_CODES, Assessment, Context, ResultCode, load_profiles, suggest
from openpbr.clustering.batch import cluster_file
from openpbr.clustering.engine import score
from openpbr.clustering.ratings import NOT_KNOWN, SCORED_CLUSTERS

rating = st.sampled_from([0, 1, 2, 3, 4, 9])
ratings = st.lists(rating, min_size=18, max_size=18).map(tuple)
contexts = st.builds(
    Context,
    assessed_on=st.one_of(st.none(), st.dates(date(2011, 4, 1), date(2030, 12, 31))),
    psychosis_history=st.sampled_from([None, True, False]),
    age=st.one_of(st.none(), st.integers(0, 110)),
    previous_cluster=st.one_of(st.none(), st.sampled_from(("00", *SCORED_CLUSTERS))),
)
PROFILES = load_profiles()


@given(ratings, contexts)
def test_every_valid_assessment_gets_a_cluster_or_a_named_code(r, ctx):
    a = suggest(Assessment(ratings=r, context=ctx))
    assert isinstance(a.result_code, ResultCode)
    if a.result_code is ResultCode.OK:
        assert a.cluster in SCORED_CLUSTERS and 0 <= a.fit <= 1 and not a.candidates[0].red_rules
        assert a.fit >= PROFILES.settings.variance_threshold
    elif a.result_code is ResultCode.VARIANCE:
        assert a.cluster == "00" and a.super_class is None
    else:
        assert a.cluster is None and a.message


@given(ratings, contexts)
def test_same_input_same_answer(r, ctx):
    a, b = suggest(Assessment(ratings=r, context=ctx)), suggest(Assessment(ratings=r, context=ctx))
    assert (a.cluster, a.fit, a.candidates, a.trace) == (b.cluster, b.fit, b.candidates, b.trace)


@given(ratings, st.integers(0, 17))
def test_a_9_never_raises_a_fit(r, item):
    before = score(np.array([r]), PROFILES, full_fit=True).fit[0]
    missing = list(r)
    missing[item] = NOT_KNOWN
    after = score(np.array([missing]), PROFILES, full_fit=True).fit[0]
    assert np.all(after <= before + 1e-12)


@given(ratings)
def test_fits_are_shares_between_0_and_1(r):
    fit = score(np.array([r]), PROFILES, full_fit=True).fit[0]
    assert np.all(fit >= -1e-12) and np.all(fit <= 1 + 1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(ratings, contexts), min_size=1, max_size=30))
def test_batch_file_agrees_with_single_suggestions(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("b")
    src, out = d / "in.csv", d / "out.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assessment_id", *ITEM_CODES, "item_08_type", "assessed_on", "psychosis_history", "age", "previous_cluster"])
        for n, (r, c) in enumerate(rows):
            w.writerow([f"R{n}", *r, "", c.assessed_on or "", {None: "", True: "Y", False: "N"}[c.psychosis_history], "" if c.age is None else c.age, c.previous_cluster or ""])
    cluster_file(src, out, PROFILES)
    got = list(csv.DictReader(out.open()))
    assert [g["assessment_id"] for g in got] == [f"R{n}" for n in range(len(rows))]
    for g, (r, c) in zip(got, rows):
        a = suggest(Assessment(ratings=r, context=c))
        assert g["result_code"] == a.result_code.value
        assert g["cluster"] == (a.cluster or "")
        assert g["fit"] == ("" if a.fit is None else f"{a.fit:.3f}")
        assert g["review_due"] == (a.review_due.isoformat() if a.review_due else "")
        assert g["red_rules"] == ";".join(a.red_rules)
