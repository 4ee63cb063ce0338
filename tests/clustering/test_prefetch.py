"""The read-ahead used by the batch path keeps order, passes failures on and never hangs."""

import pytest

from openpbr.clustering.batch import prefetch


def test_order_is_kept():
    assert list(prefetch(iter(range(100)), depth=2)) == list(range(100))


def test_a_failure_while_reading_reaches_the_consumer():
    def items():
        yield 1
        raise ValueError("block 2 is corrupt")

    got = []
    with pytest.raises(ValueError, match="block 2 is corrupt"):
        for x in prefetch(items()):
            got.append(x)
    assert got == [1]


def test_stopping_early_does_not_hang():
    gen = prefetch(iter(range(1000)), depth=1)
    assert next(gen) == 0
    gen.close()  # runs the generator's cleanup, which drains the queue and joins the worker
