"""Indicator definitions are governed data: every field present, expressions safe."""

from datetime import date

import numpy as np
import pytest

from openpbr.outcomes.definitions import GOVERNANCE, evaluate, load_definitions
from openpbr.reference import parse_dataset


def test_every_definition_is_governed():
    defs = load_definitions(date(2025, 1, 1))
    assert len(defs) >= 10
    for d in defs:
        assert d.owner and d.checker and d.date_reviewed < d.next_review, d.id
        assert d.source and d.evidence in "VPCSUDL"
        assert d.ref.startswith("outcomes.indicators@")
        assert d.kind in ("proportion", "count")


def test_expressions():
    cols = {"a": np.array([1, 1, 0, 0], bool), "b": np.array([1, 0, 1, 0], bool)}
    assert evaluate("a & b", cols, 4).tolist() == [True, False, False, False]
    assert evaluate("a | ~b", cols, 4).tolist() == [True, True, False, True]
    assert evaluate("all", cols, 4).all()


@pytest.mark.parametrize("expr", ["__import__('os')", "a + b", "a and b", "a.real", "a[0]"])
def test_expressions_refuse_anything_else(expr):
    with pytest.raises((ValueError, KeyError, SyntaxError)):
        evaluate(expr, {"a": np.ones(2, bool), "b": np.ones(2, bool)}, 2)


def test_unknown_column_is_named():
    with pytest.raises(KeyError, match="nope"):
        evaluate("nope", {"a": np.ones(1, bool)}, 1)


def test_missing_governance_field_is_refused():
    text = """
dataset: t.ind
version: "1"
entries:
  - key: x
    valid_from: 2020-01-01
    source: test
    evidence: U
    value: {title: t, kind: count, population: caseload, numerator: clustered, denominator: all, owner: o}
"""
    with pytest.raises(ValueError, match="lacks"):
        load_definitions(date(2021, 1, 1), parse_dataset(text))
    assert set(GOVERNANCE) == {"owner", "checker", "date_reviewed", "next_review"}


def test_a_trust_can_add_an_indicator_without_code(march):
    from openpbr.outcomes.indicators import compute_indicators

    text = """
dataset: local.ind
version: "1"
entries:
  - key: severe_paired_share
    valid_from: 2020-01-01
    source: local
    evidence: L
    value: {title: severe share, kind: proportion, population: closed_episodes, numerator: "paired & severe",
            denominator: paired, low_is_good: null, owner: o, checker: c, date_reviewed: 2024-01-01, next_review: 2025-01-01}
"""
    defs = load_definitions(date(2024, 3, 31), parse_dataset(text))
    r = compute_indicators(march, date(2024, 3, 1), date(2024, 3, 31), definitions=defs, unit_types=("trust",)).results
    assert r.to_pylist()[0]["numerator"] == 1 and r.to_pylist()[0]["denominator"] == 2
