"""group_sums: the same rows, in the same order, as summing by hand."""

from collections import defaultdict

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from openpbr.payment.models.grouping import group_sums

rows = st.lists(
    st.tuples(st.sampled_from(["standard", "high", "low"]), st.integers(0, 5), st.integers(-10**12, 10**12), st.integers(0, 400)),
    min_size=1, max_size=60,
)  # fmt: skip


@given(rows)
def test_group_sums_matches_a_plain_python_group_by(data):
    need = np.array([r[0] for r in data])
    entry = np.array([r[1] for r in data], dtype=np.int64)
    amount = np.array([r[2] for r in data], dtype=np.int64)
    days = np.array([r[3] for r in data], dtype=np.int64)
    expected: dict = defaultdict(lambda: [0, 0, 0])
    for n, e, a, d in data:
        acc = expected[(e, n)]
        acc[0] += a
        acc[1] += d
        acc[2] += 1
    got = group_sums({"entry": entry, "need_group": need}, {"amount": amount, "days": days})
    assert [(r["entry"], r["need_group"]) for r in got] == sorted(expected)
    assert [(r["amount"], r["days"], r["rows"]) for r in got] == [tuple(expected[k]) for k in sorted(expected)]
    assert all(isinstance(r["amount"], int) for r in got), "pence stay exact Python ints"


def test_empty_input_gives_no_rows():
    assert group_sums({"k": np.array([], dtype=str)}, {"v": np.array([], dtype=np.int64)}) == []
