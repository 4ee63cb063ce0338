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
    # activity rows the declared tables refuse: shown on the exceptions statement, never priced or dropped
    DISCHARGE_BEFORE_ADMISSION = "DISCHARGE_BEFORE_ADMISSION"
    END_BEFORE_START = "END_BEFORE_START"  # a period or bed-day stay ending before it starts
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"  # e.g. a negative personal budget
    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"
    INVALID_DATE = "INVALID_DATE"  # not an ISO date (day-first, impossible, words)
    FUTURE_ACTIVITY = "FUTURE_ACTIVITY"  # dated after the as-of date of the read
    MISSING_VALUE = "MISSING_VALUE"  # a required value is blank
    INVALID_ROW = "INVALID_ROW"  # ragged row, NUL byte, huge field, non-ASCII digits, not a number, over-long code


DESCRIPTIONS = {
    PayCode.PRICED: "Priced from the schedule in force on the activity date.",
    PayCode.NO_PRICE_IN_FORCE: "No price entry covers the activity date: not paid until a price is agreed.",
    PayCode.PRICE_NOT_LIVE: "The only price in force is Draft or Shadow; a live run does not pay it.",
    PayCode.NOT_COVERED_BY_CONTRACT: "No contract covers this provider, commissioner, service and date (non-contract activity).",
    PayCode.ZERO_BY_RULE: "A named payment rule sets this activity to nil.",
    PayCode.UNKNOWN_CURRENCY: "The currency (cluster, HRG) is not in the price schedule.",
    PayCode.ADJUSTMENT: "A contract-level adjustment computed from other lines.",
    PayCode.RECONCILIATION: "Difference between a reconciled period and what was already settled.",
    PayCode.DISCHARGE_BEFORE_ADMISSION: "A spell discharged before its admission: not paid until corrected.",
    PayCode.END_BEFORE_START: "A period or stay that ends before it starts: not paid until corrected.",
    PayCode.NEGATIVE_AMOUNT: "A negative money amount (e.g. a personal budget): not applied until corrected.",
    PayCode.NEGATIVE_QUANTITY: "A negative count or quantity: not paid until corrected.",
    PayCode.INVALID_DATE: "A date that is not ISO YYYY-MM-DD (or not a real date): not paid until corrected.",
    PayCode.FUTURE_ACTIVITY: "Activity dated after the as-of date of the read: not paid.",
    PayCode.MISSING_VALUE: "A required value is blank: not paid until supplied.",
    PayCode.INVALID_ROW: "The row cannot be read as the declared table (see the trace's issue code): not paid.",
}
