"""XmR charts and Making Data Count rules: worked series and properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpbr.outcomes.spc import xmr


def test_limits_worked_example():
    c = xmr([10, 12, 11, 13, 12, 14])
    # mean 12, moving ranges 2 1 2 1 2 -> mean 1.6, limits 12 +/- 2.66 x 1.6
    assert c.mean == pytest.approx(12.0)
    assert c.mr_mean == pytest.approx(1.6)
    assert c.ucl == pytest.approx(12 + 4.256) and c.lcl == pytest.approx(12 - 4.256)
    assert c.mr_ucl == pytest.approx(3.267 * 1.6)


def test_point_beyond_upper_limit_is_concern_when_low_is_good():
    c = xmr([5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 20], low_is_good=True)
    assert c.beyond[-1] and c.variation[-1] == "concern"
    assert not c.beyond[:-1].any()


def test_shift_of_seven_below_mean():
    vals = [10, 11, 10, 11, 10, 11, 6, 6.5, 6, 6.5, 6, 6.5, 6]
    c = xmr(vals, low_is_good=False)
    assert c.shift[-7:].all() and not c.shift[:6].any()
    assert c.variation[-1] == "concern"


def test_six_below_is_not_a_shift():
    c = xmr([9, 7, 9, 7, 9, 7, 9, 7, 7, 7, 7, 7, 7, 9])  # six in a row below the mean (7.71)
    assert not c.shift.any()


def test_trend_of_seven_increasing():
    c = xmr([5, 4, 5, 4, 5, 1, 2, 3, 4, 5, 6, 7, 5], low_is_good=False)
    assert c.trend[5:12].all() and not c.trend[12]
    assert c.variation[11] == "improvement"


def test_six_increasing_is_not_a_trend():
    c = xmr([5, 4, 5, 4, 5, 1, 2, 3, 4, 5, 6, 5, 5])
    assert not c.trend.any()


def test_two_of_three_close_to_the_limit():
    c = xmr([10, 11] * 15 + [13.5, 10.5, 13.5])
    # mean 10.6, mean MR 1.2, upper limit 13.9: 13.5 is inside the limit but in the outer third (> 12.8)
    assert c.ucl > 13.5 > c.mean + (2 / 3) * (c.ucl - c.mean)
    assert not c.beyond.any()
    assert c.two_of_three[-1] and c.two_of_three[-3] and not c.two_of_three[-2]
    assert c.variation[-1] == "neither"


def test_months_without_a_value_are_skipped():
    c = xmr([1, np.nan, 2, 3], labels=["a", "b", "c", "d"])
    assert c.labels == ["a", "c", "d"] and len(c.values) == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=40))
def test_limits_are_symmetric_and_ordered(vals):
    c = xmr(vals)
    assert c.ucl - c.mean == pytest.approx(c.mean - c.lcl, rel=1e-9, abs=1e-6)
    assert c.lcl <= c.mean <= c.ucl
    assert len(c.variation) == len(vals)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-100, max_value=100, allow_nan=False), st.integers(min_value=2, max_value=30))
def test_constant_series_has_no_special_cause(v, n):
    c = xmr([v] * n)
    assert not c.special.any()
