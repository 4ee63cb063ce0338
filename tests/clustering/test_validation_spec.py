"""Every validation error: a clear code and a message naming the field, never a guess."""

from __future__ import annotations

import pytest

from openpbr.clustering import ITEM_CODES, Assessment, AssessmentError

GOOD = {"assessment_id": "X1", **{c: "0" for c in ITEM_CODES}, "item_07": "2", "item_08": "1", "item_08_type": "B"}

# (change to a good row, expected code, field named, text in the message)
SPEC = [
    ({"item_03": "5"}, "INVALID_RATING", "item_03", "'5' is not a rating"),
    ({"item_03": "-1"}, "INVALID_RATING", "item_03", "'-1' is not a rating"),
    ({"item_03": "2.0"}, "INVALID_RATING", "item_03", "'2.0' is not a rating"),
    ({"hist_e": "x"}, "INVALID_RATING", "hist_e", "'x' is not a rating"),
    ({"item_13": "8"}, "INVALID_RATING", "item_13", "'8' is not a rating"),
    ({"item_05": ""}, "MISSING_RATING", "item_05", "blank (use 9 for not known)"),
    ({"hist_a": None}, "MISSING_RATING", "hist_a", "blank"),
    ({"item_08_type": "K"}, "INVALID_PROBLEM_TYPE", "item_08_type", "'K' is not a problem type A-J"),
    ({"assessed_on": "01/02/2024"}, "INVALID_CONTEXT", "assessed_on", "not an ISO date"),
    ({"psychosis_history": "yes"}, "INVALID_CONTEXT", "psychosis_history", "not Y or N"),
    ({"age": "forty"}, "INVALID_CONTEXT", "age", "not an age"),
    ({"age": "130"}, "INVALID_CONTEXT", "age", "not an age"),
    ({"previous_cluster": "22"}, "INVALID_CONTEXT", "previous_cluster", "not a cluster code"),
    ({"previous_cluster": "1a"}, "INVALID_CONTEXT", "previous_cluster", "not a cluster code"),
    ({"assessment_id": "  "}, "MISSING_ASSESSMENT_ID", "assessment_id", "blank"),
]


@pytest.mark.parametrize("change, code, field, text", SPEC, ids=[f"{f}-{c}" for _, c, f, _ in SPEC])
def test_validation_spec(change, code, field, text):
    with pytest.raises(AssessmentError) as err:
        Assessment.from_mapping(GOOD | change)
    assert err.value.code.value == code
    named = [e for e in err.value.errors if e.field == field]
    assert named and text in named[0].message


# Accepted variants: normalised, not rejected.
ACCEPTED = [
    ({"item_08_type": "b"}, "item_08_type", "B"),
    ({"item_08_type": ""}, "item_08_type", None),
    ({"previous_cluster": "4"}, "previous_cluster", "04"),
    ({"psychosis_history": "n"}, "psychosis_history", False),
    ({"item_03": " 9 "}, "item_03", 9),
]


@pytest.mark.parametrize("change, field, value", ACCEPTED)
def test_accepted_variants(change, field, value):
    a = Assessment.from_mapping(GOOD | change)
    got = getattr(a, field, None) if field == "item_08_type" else getattr(a.context, field, None)
    if field.startswith(("item_0", "item_1", "hist")) and field != "item_08_type":
        got = a.rating(field)
    assert got == value


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(AssessmentError) as err:
        Assessment.from_mapping(GOOD | {"item_01": "7", "item_02": "", "age": "x"})
    assert {e.field for e in err.value.errors} == {"item_01", "item_02", "age"}
    assert err.value.code.value == "MISSING_RATING"  # precedence names the row


def test_typed_construction_rejects_bad_values():
    with pytest.raises(AssessmentError, match="item_04"):
        Assessment(ratings=(0, 0, 0, 5) + (0,) * 14)
    with pytest.raises(AssessmentError):
        Assessment(ratings=(0,) * 17)
