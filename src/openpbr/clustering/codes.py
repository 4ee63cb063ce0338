"""Result codes for clustering. Every allocation carries exactly one.

A code other than OK means no cluster was suggested for a reason that is
named here, never a silent blank.
"""

from __future__ import annotations

from enum import Enum


class ResultCode(str, Enum):
    OK = "OK"
    VARIANCE = "VARIANCE"  # valid, scored, but no cluster fits well enough: 00
    INVALID_RATING = "INVALID_RATING"
    MISSING_RATING = "MISSING_RATING"
    INVALID_PROBLEM_TYPE = "INVALID_PROBLEM_TYPE"
    INVALID_CONTEXT = "INVALID_CONTEXT"
    MISSING_ASSESSMENT_ID = "MISSING_ASSESSMENT_ID"
    INSUFFICIENT_RATINGS = "INSUFFICIENT_RATINGS"
    AGE_OUT_OF_SCOPE = "AGE_OUT_OF_SCOPE"
    NO_PROFILE_IN_FORCE = "NO_PROFILE_IN_FORCE"
    INVALID_ASSESSMENT_ID = "INVALID_ASSESSMENT_ID"  # control characters, or longer than MAX_ID_LENGTH
    RAGGED_ROW = "RAGGED_ROW"  # too few or too many fields: nothing in the row can be trusted

    @property
    def clustered(self) -> bool:
        """True when the row received a cluster code (including 00)."""
        return self in (ResultCode.OK, ResultCode.VARIANCE)


DESCRIPTIONS: dict[ResultCode, str] = {
    ResultCode.OK: "A cluster was suggested.",
    ResultCode.VARIANCE: "Ratings are valid but no cluster fits well enough, or every candidate breaks a red rule: cluster 00.",
    ResultCode.INVALID_RATING: "A rating is not one of 0, 1, 2, 3, 4 or 9.",
    ResultCode.MISSING_RATING: "A rating is blank. Use 9 when the item is not known.",
    ResultCode.INVALID_PROBLEM_TYPE: "item_08_type is not a letter A-J.",
    ResultCode.INVALID_CONTEXT: "An optional context field (assessed_on, age, psychosis_history, previous_cluster) is malformed.",
    ResultCode.MISSING_ASSESSMENT_ID: "The row has no assessment_id.",
    ResultCode.INSUFFICIENT_RATINGS: "Too many items are rated 9 (not known) to suggest a cluster.",
    ResultCode.AGE_OUT_OF_SCOPE: "Age is below the profile set's minimum age for adult clustering.",
    ResultCode.NO_PROFILE_IN_FORCE: "The profile set is not in force on the assessment date.",
    ResultCode.INVALID_ASSESSMENT_ID: "assessment_id holds a NUL or other control character, or is too long.",
    ResultCode.RAGGED_ROW: "The row has more or fewer fields than the header, so no field can be trusted.",
}

# When a row has several problems the first in this order names the row.
PRECEDENCE: tuple[ResultCode, ...] = (
    ResultCode.RAGGED_ROW,
    ResultCode.MISSING_ASSESSMENT_ID,
    ResultCode.INVALID_ASSESSMENT_ID,
    ResultCode.MISSING_RATING,
    ResultCode.INVALID_RATING,
    ResultCode.INVALID_PROBLEM_TYPE,
    ResultCode.INVALID_CONTEXT,
    ResultCode.NO_PROFILE_IN_FORCE,
    ResultCode.AGE_OUT_OF_SCOPE,
    ResultCode.INSUFFICIENT_RATINGS,
)
