"""Result codes: every priced unit and statement line carries exactly one.

Anything that cannot be paid is named here, never a silent zero.
"""

from __future__ import annotations

from enum import Enum


class PayCode(str, Enum):
    PRICED = "PRICED"
    NO_PRICE_IN_FORCE = "NO_PRICE_IN_FORCE"  # no price entry covers the activity date
    PRICE_NOT_LIVE = "PRICE_NOT_LIVE"  # a Draft/Shadow price met a live settlement run
    NOT_COVERED_BY_CONTRACT = "NOT_COVERED_BY_CONTRACT"  # no contract for this provider, commissioner, service and date
    ZERO_BY_RULE = "ZERO_BY_RULE"  # a named rule sets the payment to nil (e.g. elective readmission)
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"  # e.g. cluster or HRG code the schedule does not know
    ADJUSTMENT = "ADJUSTMENT"  # contract-level adjustment (share, withhold, cap, CQUIN, deduction)
    RECONCILIATION = "RECONCILIATION"


DESCRIPTIONS = {
    PayCode.PRICED: "Priced from the schedule in force on the activity date.",
    PayCode.NO_PRICE_IN_FORCE: "No price entry covers the activity date: not paid until a price is agreed.",
    PayCode.PRICE_NOT_LIVE: "The only price in force is Draft or Shadow; a live run does not pay it.",
    PayCode.NOT_COVERED_BY_CONTRACT: "No contract covers this provider, commissioner, service and date (non-contract activity).",
    PayCode.ZERO_BY_RULE: "A named payment rule sets this activity to nil.",
    PayCode.UNKNOWN_CURRENCY: "The currency (cluster, HRG) is not in the price schedule.",
    PayCode.ADJUSTMENT: "A contract-level adjustment computed from other lines.",
    PayCode.RECONCILIATION: "Difference between a reconciled period and what was already settled.",
}
