"""Allocation spec: ratings and context -> expected suggestion, with the provisional profile set.

Each case names only the non-zero ratings. The table is rendered into
docs/clustering-spec.md by test_allocation_spec.py, so the documentation is
always the behaviour the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    title: str
    ratings: dict[str, int]
    expect_code: str
    expect_cluster: str | None
    context: dict = field(default_factory=dict)
    expect_runner_up: str | None = None
    expect_red_rules: tuple[str, ...] = ()
    note: str = ""


CASES = [
    Case("Minor depressed mood and anxiety", {"item_07": 1, "item_08": 2}, "OK", "01"),
    Case("Moderate depression with social problems", {"item_07": 3, "item_08": 2, "item_09": 2, "item_10": 1, "item_12": 2}, "OK", "03", expect_runner_up="02"),
    Case("Severe depression, impaired functioning", {"item_07": 4, "item_08": 3, "item_09": 3, "item_10": 2, "item_12": 3, "item_11": 1, "item_02": 1}, "OK", "04"),
    Case(
        "Very severe, with self-harm",
        {"item_02": 3, "item_07": 4, "item_08": 4, "item_09": 4, "item_10": 3, "item_12": 4, "item_11": 2, "item_01": 1, "hist_b": 3, "hist_e": 2},
        "OK", "05",
    ),  # fmt: skip
    Case("Over-valued ideas (item 13)", {"item_13": 4, "item_08": 3, "item_07": 2, "item_09": 2, "item_10": 1, "item_12": 2}, "OK", "06"),
    Case("Enduring, high disability", {"item_07": 2, "item_08": 2, "item_09": 2, "item_10": 3, "item_11": 2, "item_12": 4, "hist_e": 2}, "OK", "07"),
    Case(
        "Chaotic and challenging",
        {"item_01": 3, "item_02": 3, "item_03": 2, "item_07": 2, "item_08": 2, "item_09": 4, "item_12": 3, "item_11": 2, "hist_a": 2, "hist_b": 3, "hist_d": 3, "hist_e": 3},
        "OK", "08",
    ),  # fmt: skip
    Case(
        "First presentation of psychosis",
        {"item_06": 3, "item_07": 1, "item_09": 2, "item_10": 1, "item_12": 2},
        "OK", "10", context={"psychosis_history": "N"},
        expect_red_rules=("11:item_06", "11:prior-psychosis"),
        note="Cluster 11 is listed as a runner-up but breaks two red rules.",
    ),  # fmt: skip
    Case(
        "Same ratings with a psychosis history",
        {"item_06": 3, "item_07": 1, "item_09": 2, "item_10": 1, "item_12": 2},
        "OK", "12", context={"psychosis_history": "Y"},
        note="First episode (10) is ruled out by the context rule, so an ongoing psychosis cluster is suggested.",
    ),  # fmt: skip
    Case("Psychosis in recovery", {"item_06": 1, "item_12": 1}, "OK", "11", context={"psychosis_history": "Y"}),
    Case("Ongoing psychosis, high disability", {"item_06": 2, "item_07": 1, "item_09": 3, "item_10": 3, "item_11": 2, "item_12": 3, "hist_e": 2}, "OK", "12", context={"psychosis_history": "Y"}),
    Case(
        "Ongoing psychosis, high symptoms and disability",
        {"item_06": 4, "item_01": 2, "item_07": 2, "item_09": 3, "item_10": 3, "item_11": 2, "item_12": 3, "hist_a": 2, "hist_e": 2},
        "OK", "13", context={"psychosis_history": "Y"},
    ),  # fmt: skip
    Case("Psychotic crisis", {"item_06": 4, "item_01": 4, "item_02": 2, "item_07": 2, "item_09": 3, "item_10": 3, "hist_a": 3}, "OK", "14", context={"psychosis_history": "Y"}),
    Case("Severe psychotic depression", {"item_07": 4, "item_06": 3, "item_02": 2, "item_09": 3, "item_10": 3, "item_12": 3}, "OK", "15"),
    Case(
        "Psychosis with heavy substance use",
        {"item_03": 4, "item_06": 2, "item_01": 2, "item_09": 3, "item_11": 2, "item_12": 3, "hist_a": 2, "hist_d": 3},
        "OK", "16", context={"psychosis_history": "Y"},
    ),  # fmt: skip
    Case(
        "Psychosis, very hard to engage",
        {"hist_d": 4, "item_06": 3, "item_01": 2, "item_03": 1, "item_09": 3, "item_11": 2, "item_12": 3, "hist_a": 2, "hist_e": 3},
        "OK", "17", context={"psychosis_history": "Y"},
    ),  # fmt: skip
    Case("Mild cognitive impairment", {"item_04": 2, "item_05": 1, "item_07": 1}, "OK", "18"),
    Case("Mild cognitive impairment, aged 70", {"item_04": 2, "item_05": 1, "item_07": 1}, "OK", "18", context={"age": "70"}),
    Case(
        "Same ratings, aged 30, no psychosis history",
        {"item_04": 2, "item_05": 1, "item_07": 1},
        "OK", "01", context={"age": "30", "psychosis_history": "N"},
        note="Age is context: organic clusters break the provisional under-40 rule, so a clinician choosing 18 gives a reason.",
    ),  # fmt: skip
    Case("Dementia, moderate need", {"item_04": 3, "item_05": 1, "item_07": 1, "item_08": 1, "item_09": 1, "item_10": 2}, "OK", "19"),
    Case("Dementia, high need", {"item_04": 4, "item_01": 3, "item_06": 1, "item_07": 2, "item_09": 3, "item_10": 4, "hist_a": 2, "hist_e": 3}, "OK", "20"),
    Case("Dementia, high physical need", {"item_04": 4, "item_05": 4, "item_10": 4, "item_11": 2, "hist_d": 2, "hist_e": 4}, "OK", "21"),
    Case(
        "Everything rated 4",
        {c: 4 for c in ("item_01", "item_02", "item_03", "item_04", "item_05", "item_06", "item_07", "item_08", "item_09", "item_10", "item_11", "item_12", "item_13", "hist_a", "hist_b", "hist_c", "hist_d", "hist_e")},
        "VARIANCE", "00",
        note="No profile fits well enough: variance (00), with the best candidates still listed.",
    ),  # fmt: skip
    Case(
        "Severe problems in every domain at once",
        {"item_04": 4, "item_06": 4, "item_03": 4, "item_07": 4, "item_13": 4},
        "VARIANCE", "00",
    ),  # fmt: skip
    Case("No problems rated, no psychosis history", {}, "OK", "01", context={"psychosis_history": "N"}, note="Cluster 11 would fit but presumes a psychosis history."),
    Case("No problems rated, psychosis history", {}, "OK", "11", context={"psychosis_history": "Y"}),
    Case(
        "Tie between 02 and 03, previously in 03",
        {"item_07": 2, "item_08": 2, "item_09": 1, "item_10": 1, "item_12": 1},
        "OK", "03", context={"previous_cluster": "03"},
        note="Stability: the previous cluster is kept when within the margin of the best fit.",
    ),  # fmt: skip
    Case("Same ratings, no previous cluster", {"item_07": 2, "item_08": 2, "item_09": 1, "item_10": 1, "item_12": 1}, "OK", "02"),
    Case(
        "Seven items not known",
        {"item_01": 9, "item_02": 9, "item_03": 9, "item_04": 9, "item_05": 9, "item_06": 9, "item_07": 9, "item_08": 2},
        "INSUFFICIENT_RATINGS", None,
    ),  # fmt: skip
    Case(
        "Six items not known",
        {"item_01": 9, "item_02": 9, "item_03": 9, "item_04": 9, "item_05": 9, "item_06": 9, "item_07": 1, "item_08": 2},
        "VARIANCE", "00",
        note="Scored, but a 9 supports no profile, so the best fit (01, 0.700) falls below the threshold.",
    ),  # fmt: skip
    Case("Two items not known", {"item_01": 9, "item_02": 9, "item_07": 1, "item_08": 2}, "OK", "01", note="Fit drops from 1.000 to 0.900: missing data lowers confidence, never raises it."),
    Case("Aged 16", {"item_07": 1, "item_08": 2}, "AGE_OUT_OF_SCOPE", None, context={"age": "16"}),
    Case("Assessed before the profile set is in force", {"item_07": 1, "item_08": 2}, "NO_PROFILE_IN_FORCE", None, context={"assessed_on": "2010-06-01"}),
]
