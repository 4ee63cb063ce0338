import nhs_number
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from openpbr.records.generate import synthetic_nhs_numbers
from openpbr.records.nhs import InvalidNHSNumber, is_valid_nhs_number, normalise_nhs_number

SPEC = [
    ("9434765919", "9434765919"),
    ("943 476 5919", "9434765919"),
    ("943-476-5919", "9434765919"),
    ("9434765918", "fails the mod-11 checksum"),
    ("943476591", "must be 10 digits"),
    ("94347659190", "must be 10 digits"),
    ("94347659X9", "must be 10 digits"),
    ("٩٤٣٤٧٦٥٩١٩", "must be 10 digits 0-9"),  # Arabic-Indic digits: never a second person
    ("943476591⁹", "must be 10 digits 0-9"),
    ("", "blank"),
    (None, "blank"),
]


@pytest.mark.parametrize("raw, expected", SPEC)
def test_nhs_number_spec_table(raw, expected):
    if expected.isdigit():
        assert normalise_nhs_number(raw) == expected
    else:
        with pytest.raises(InvalidNHSNumber, match=expected):
            normalise_nhs_number(raw)


def test_error_message_never_echoes_the_number():
    with pytest.raises(InvalidNHSNumber) as info:
        normalise_nhs_number("9434765918")
    assert "9434765918" not in str(info.value)


@given(st.integers(0, 2**32 - 1), st.integers(1, 300))
@settings(max_examples=25, deadline=None)
def test_generated_numbers_are_distinct_and_valid(seed, n):
    numbers = synthetic_nhs_numbers(np.random.default_rng(seed), n)
    assert len(set(numbers)) == n
    assert all(nhs_number.is_valid(x) and x.startswith("999") for x in numbers)


@given(st.integers(0, 2**32 - 1), st.integers(0, 8), st.integers(1, 9))
@settings(max_examples=50, deadline=None)
def test_a_single_changed_digit_is_caught(seed, position, delta):
    good = synthetic_nhs_numbers(np.random.default_rng(seed), 1)[0]
    bad = good[:position] + str((int(good[position]) + delta) % 10) + good[position + 1 :]
    assert not is_valid_nhs_number(bad)


def test_model_refuses_invalid_nhs_number():
    from openpbr.records.models import ServiceUser

    with pytest.raises(InvalidNHSNumber):
        ServiceUser(pseudo_id="X", nhs_number="1234567890")
