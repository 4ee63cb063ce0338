"""Maximum review periods: exact arithmetic (weeks as days, months as calendar months)."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpbr.clustering.ratings import ALLOCATABLE_CLUSTERS
from openpbr.clustering.review import review_due, review_due_array

# (cluster, assessed on, review due by, why)
SPEC = [
    ("00", date(2024, 1, 15), date(2024, 7, 15), "variance: 6 months"),
    ("01", date(2024, 1, 1), date(2024, 3, 25), "12 weeks = 84 days"),
    ("02", date(2024, 1, 1), date(2024, 4, 15), "15 weeks = 105 days"),
    ("03", date(2024, 8, 31), date(2025, 2, 28), "6 months from 31 Aug clamps to 28 Feb"),
    ("04", date(2023, 8, 31), date(2024, 2, 29), "leap year: clamps to 29 Feb"),
    ("07", date(2024, 2, 29), date(2025, 2, 28), "annual from 29 Feb"),
    ("10", date(2024, 3, 1), date(2025, 3, 1), "annual"),
    ("14", date(2024, 2, 10), date(2024, 3, 9), "4 weeks = 28 days, across 29 Feb"),
    ("15", date(2024, 12, 20), date(2025, 1, 17), "4 weeks across the year end"),
    ("16", date(2024, 3, 31), date(2024, 9, 30), "6 months from 31 Mar clamps to 30 Sep"),
    ("18", date(2024, 5, 5), date(2025, 5, 5), "annual"),
    ("21", date(2024, 5, 5), date(2024, 11, 5), "6 months"),
]


@pytest.mark.parametrize("cluster, assessed, due, why", SPEC, ids=[f"{c}-{w}" for c, _, _, w in SPEC])
def test_review_due_spec(cluster, assessed, due, why):
    assert review_due(assessed, cluster) == due


def test_every_allocatable_cluster_has_a_period_between_4_weeks_and_a_year():
    on = date(2024, 1, 31)
    for c in ALLOCATABLE_CLUSTERS:
        gap = review_due(on, c) - on
        assert timedelta(days=28) <= gap <= timedelta(days=366), c


@given(
    st.lists(st.tuples(st.dates(date(2011, 4, 1), date(2035, 12, 31)), st.sampled_from(ALLOCATABLE_CLUSTERS)), min_size=1, max_size=40)
)
def test_vectorised_review_due_matches_scalar(rows):
    dates = np.array([d for d, _ in rows], dtype="datetime64[D]")
    clusters = np.array([c for _, c in rows])
    got = review_due_array(dates, clusters)
    assert [g.astype(object) for g in got] == [review_due(d, c) for d, c in rows]
