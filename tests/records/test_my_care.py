"""The service user's own view: cluster, package, next review, cost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from openpbr.cli import app
from openpbr.db import session_scope
from openpbr.records import process
from openpbr.records.my_care import UnknownPerson, my_care

from .test_process import _allocate, _assess


def test_my_care_shows_cluster_package_review_and_cost(one_person):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        period = _allocate(s, su, team, a).period
    with session_scope(one_person) as s:
        view = my_care(s, "SU1", date(2023, 1, 19))
    assert view.cluster == period.chosen_cluster and view.since == date(2023, 1, 10)
    assert view.review_due == period.review_due and view.days_to_review == (period.review_due - date(2023, 1, 19)).days
    assert view.package.cluster == view.cluster
    # cost so far counts both end days: 10th to 19th January is 10 days
    assert view.cost_so_far == view.cost_per_day * 10
    assert view.cost_to_review == view.cost_per_day * (period.review_due - period.start_on).days
    assert isinstance(view.cost_per_day, Decimal)


def test_after_discharge_there_is_no_current_cluster_but_history_remains(one_person):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        _allocate(s, su, team, a)
        process.discharge(s, su, on=date(2023, 2, 1), by="S1")
    with session_scope(one_person) as s:
        view = my_care(s, "SU1", date(2023, 3, 1))
    assert view.cluster is None and len(view.history) == 1 and view.history[0].end_on == date(2023, 2, 1)


def test_unknown_person_is_a_clear_error(one_person):
    with session_scope(one_person) as s, pytest.raises(UnknownPerson):
        my_care(s, "SU404", date(2023, 1, 1))


def test_my_care_command(one_person, db_url):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        _allocate(s, su, team, a)
    result = CliRunner().invoke(app, ["records", "my-care", "SU1", "--as-of", "2023-01-19", "--db", db_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "My care cluster:" in result.output and "My next review is due by" in result.output and "a day" in result.output


def test_back_to_back_periods_in_one_cluster_read_as_one_stay():
    from openpbr.records.my_care import PastCluster, _merge

    d = date
    got = _merge([
        PastCluster("07", "x", d(2020, 1, 1), d(2021, 1, 1)),
        PastCluster("07", "x", d(2021, 1, 1), d(2022, 1, 1)),
        PastCluster("04", "y", d(2022, 1, 1), None),
        PastCluster("04", "y", d(2023, 1, 1), None),  # a gap: a separate stay
    ])
    assert [(p.cluster, p.start_on, p.end_on, p.periods) for p in got] == [
        ("07", d(2020, 1, 1), d(2022, 1, 1), 2), ("04", d(2022, 1, 1), None, 1), ("04", d(2023, 1, 1), None, 1),
    ]
