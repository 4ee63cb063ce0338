"""HoNOS totals and the 9 (not known) rule: worked numbers."""

import numpy as np
import pytest

from openpbr.outcomes.config import outcome_rules
from openpbr.outcomes.honos import HIGH, LOW, UNKNOWN, honos_total, item_band
from openpbr.reference import builtin_path, parse_dataset


def rules_with(method: str, min_known: int):
    text = builtin_path("reference", "outcomes_rules.yaml").read_text()
    text = text.replace("{method: exclude, min_known_items: 10}", f"{{method: {method}, min_known_items: {min_known}}}")
    from datetime import date

    from openpbr.outcomes.config import Settings
    return Settings(parse_dataset(text), date(2025, 1, 1))


@pytest.mark.parametrize("items, total, known", [
    ([0] * 12, 0.0, 12),
    ([4] * 12, 48.0, 12),
    ([1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2], 23.0, 12),
    ([9, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 22.0, 11),   # one 9 excluded, not counted as 9 points
    ([9, 9, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 20.0, 10),   # two 9s: 10 known items, still computable
    ([9, 9, 9, 2, 2, 2, 2, 2, 2, 2, 2, 2], np.nan, 9),  # three 9s: below 10 known -> not computable
    ([9] * 12, np.nan, 0),
])
def test_total_excludes_nines_and_needs_ten_known(items, total, known):
    t, k = honos_total(np.array([items], np.int8), outcome_rules())
    assert k[0] == known
    assert (np.isnan(t[0]) and np.isnan(total)) or t[0] == total


def test_prorate_rule_scales_to_twelve_items():
    t, _ = honos_total(np.array([[9, 9, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]], np.int8), rules_with("prorate", 10))
    assert t[0] == pytest.approx(24.0)  # 20 x 12 / 10


def test_min_known_is_data():
    t, _ = honos_total(np.array([[9, 9, 9, 2, 2, 2, 2, 2, 2, 2, 2, 2]], np.int8), rules_with("exclude", 9))
    assert t[0] == 18.0


def test_item_bands_low_high_unknown():
    b = item_band(np.array([[0, 1, 2, 3, 4, 9]], np.int8), outcome_rules())
    assert b.tolist() == [[LOW, LOW, LOW, HIGH, HIGH, UNKNOWN]]


def test_rules_carry_provenance():
    r = outcome_rules()
    assert r.ref.startswith("outcomes.rules@")
    assert "not_known_handling" in r.provisional_keys()  # the 9 rule is a local [U] choice
    assert r["reliable_change"] == {"all": 8, "severe": 7}
    assert r["clinical_cutoff"]["all"] == 11 and r["clinical_cutoff"]["severe"] == 12
