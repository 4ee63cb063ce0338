"""Reference datasets: effective dating, provenance, and refusal of bad history."""

from datetime import date

import pytest

from openpbr.reference import Evidence, NotInForce, builtin_dataset, parse_dataset

TWO_VERSIONS = """
dataset: demo.prices
version: "2"
defaults: {source: "test", evidence: D}
entries:
  - {key: "03", valid_from: 2023-04-01, valid_to: 2024-04-01, value: 100}
  - {key: "03", valid_from: 2024-04-01, value: 110, evidence: L}
"""


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2023, 4, 1), 100),  # first day in force
        (date(2024, 3, 31), 100),  # last day before the new entry
        (date(2024, 4, 1), 110),  # valid_to is exclusive
        (date(2030, 1, 1), 110),  # open-ended
    ],
)
def test_resolve_by_activity_date(on, expected):
    assert parse_dataset(TWO_VERSIONS).resolve("03", on).value == expected


def test_nothing_in_force_is_a_named_error():
    with pytest.raises(NotInForce, match="no entry for '03' in force on 2023-03-31"):
        parse_dataset(TWO_VERSIONS).resolve("03", date(2023, 3, 31))


def test_provenance_marks_derived_and_unconfirmed_values_provisional():
    ds = parse_dataset(TWO_VERSIONS)
    old, new = ds.history("03")
    assert old.provenance.evidence is Evidence.DERIVED and old.provenance.provisional
    assert new.provenance.evidence is Evidence.LOCAL and not new.provenance.provisional


def test_overlapping_history_is_refused():
    bad = TWO_VERSIONS.replace("valid_to: 2024-04-01", "valid_to: 2024-05-01")
    with pytest.raises(ValueError, match="overlap"):
        parse_dataset(bad)


def test_version_ref_changes_with_content():
    a = parse_dataset(TWO_VERSIONS)
    b = parse_dataset(TWO_VERSIONS.replace("value: 110", "value: 111"))
    assert a.ref.startswith("demo.prices@2#") and a.ref != b.ref


def test_shipped_datasets_carry_sources():
    for name in ("clusters", "review_periods", "mhct_items", "rating_scale", "super_classes", "item8_problem_types"):
        ds = builtin_dataset(name)
        assert ds.entries, name
        assert all(e.provenance.source for e in ds.entries), name


def test_clusters_dataset_matches_the_data_dictionary_code_list():
    ds = builtin_dataset("clusters")
    assert ds.keys() == [f"{n:02d}" for n in range(22)]
    assert ds.resolve("09", date(2020, 1, 1)).value["allocatable"] is False
    super_classes = {k: ds.resolve(k, date(2020, 1, 1)).value["super_class"] for k in ds.keys()}
    assert [k for k, v in super_classes.items() if v == "B"] == [f"{n}" for n in range(10, 18)]
    assert [k for k, v in super_classes.items() if v == "C"] == ["18", "19", "20", "21"]
