"""Every table OpenPbR exchanges, declared once.

A :class:`TableSpec` names a table's columns (:class:`Column`): the type a
value must parse as, whether the column must be present (``required``),
whether a value may be blank (``nullable``), the longest code allowed
(``max_length``) and the plausibility rules that turn an impossible value into
a named row issue instead of wrong money or a wrong record. The one reader
(:func:`openpbr.io.reader.read_table`) applies a spec to any CSV or Parquet
file; the codes it gives are :class:`IssueCode` (documented in
docs/inputs-spec.md).

Types: ``str`` (text, trimmed; blank is null), ``int`` (ASCII digits only),
``date`` (ISO ``YYYY-MM-DD`` only), ``decimal`` (exact, up to 9 decimal
places; read as ``decimal128(38, 9)``), ``bool`` (true/false, y/n, yes/no,
1/0, any case).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

import pyarrow as pa

ColumnType = Literal["str", "int", "date", "decimal", "bool"]

TRACE_LIMIT = 1_000_000  # a trace (JSON) may list many inputs
FIELD_LIMIT = 10_000  # characters: a longer field is a row issue (FIELD_TOO_LONG), never a crash downstream
DECIMAL_TYPE = pa.decimal128(38, 9)
ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(), "int": pa.int64(), "date": pa.date32(), "decimal": DECIMAL_TYPE, "bool": pa.bool_(),
}
MIN_BIRTH_YEAR = 1900  # without an as-of date; with one, as_of.year - MAX_AGE
MAX_AGE = 120


class IssueCode(str, Enum):
    """Stable names of what can be wrong with a file or a row (never renamed: callers and docs match on them)."""

    MISSING_COLUMN = "MISSING_COLUMN"  # file-level: refused with an InputError, nothing read
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"  # file-level: refused
    EMPTY_FILE = "EMPTY_FILE"  # file-level: refused (no header line)
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"  # file-level warning: the column is ignored
    NOT_UTF8 = "NOT_UTF8"  # file-level warning: read as cp1252
    RAGGED_ROW = "RAGGED_ROW"
    NUL_BYTE = "NUL_BYTE"
    FIELD_TOO_LONG = "FIELD_TOO_LONG"
    TOO_LONG_CODE = "TOO_LONG_CODE"
    NON_ASCII_DIGITS = "NON_ASCII_DIGITS"
    NOT_ISO_DATE = "NOT_ISO_DATE"
    DAY_FIRST_DATE = "DAY_FIRST_DATE"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    NOT_A_BOOLEAN = "NOT_A_BOOLEAN"
    REQUIRED_VALUE_MISSING = "REQUIRED_VALUE_MISSING"
    FUTURE_DATE = "FUTURE_DATE"
    BIRTH_YEAR_OUT_OF_RANGE = "BIRTH_YEAR_OUT_OF_RANGE"
    END_BEFORE_START = "END_BEFORE_START"
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"


ISSUE_DESCRIPTIONS: dict[IssueCode, str] = {
    IssueCode.MISSING_COLUMN: "A required column is absent (names match ignoring case, quotes and spaces): the file is refused.",
    IssueCode.DUPLICATE_COLUMN: "Two header names match the same column: the file is refused.",
    IssueCode.EMPTY_FILE: "The file has no header line: it is refused.",
    IssueCode.UNKNOWN_COLUMN: "A header the table does not declare: reported as a warning and ignored.",
    IssueCode.NOT_UTF8: "The file is not UTF-8: read as Windows cp1252, with a warning naming the file.",
    IssueCode.RAGGED_ROW: "The row has more or fewer fields than the header.",
    IssueCode.NUL_BYTE: "A field contains a NUL byte.",
    IssueCode.FIELD_TOO_LONG: f"A field is longer than {FIELD_LIMIT:,} characters.",
    IssueCode.TOO_LONG_CODE: "A code is longer than its column allows.",
    IssueCode.NON_ASCII_DIGITS: "Digits other than ASCII 0-9 (Arabic-Indic, superscripts, full-width, ...).",
    IssueCode.NOT_ISO_DATE: "Not a real calendar date written as ISO YYYY-MM-DD.",
    IssueCode.DAY_FIRST_DATE: "A day-first date such as 31/01/2024: write dates as ISO YYYY-MM-DD.",
    IssueCode.NOT_A_NUMBER: "Not a whole number (int) or an exact decimal of at most 9 places (decimal).",
    IssueCode.NOT_A_BOOLEAN: "Not one of true/false, yes/no, y/n, 1/0.",
    IssueCode.REQUIRED_VALUE_MISSING: "A value that must be given is blank.",
    IssueCode.FUTURE_DATE: "A date after the as-of date of the read.",
    IssueCode.BIRTH_YEAR_OUT_OF_RANGE: f"A birth year more than {MAX_AGE} years before the as-of date, or after it.",
    IssueCode.END_BEFORE_START: "An end (or discharge) date before its start (or admission): a negative stay.",
    IssueCode.NEGATIVE_AMOUNT: "A money amount below zero where only zero or more makes sense.",
    IssueCode.NEGATIVE_QUANTITY: "A count or quantity below zero.",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # a blank value is allowed (read as null)
    max_length: int | None = None  # longest code: TOO_LONG_CODE beyond it (free text: FIELD_TOO_LONG, limit raised)
    not_future: bool = False  # FUTURE_DATE when after the read's as-of date
    birth_year: bool = False  # BIRTH_YEAR_OUT_OF_RANGE
    non_negative: Literal["amount", "quantity"] | None = None  # NEGATIVE_AMOUNT / NEGATIVE_QUANTITY
    text: bool = False  # free text: no digit check (descriptions, messages, traces)
    description: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    ordered: tuple[tuple[str, str], ...] = ()  # (start, end) pairs: END_BEFORE_START when end < start
    description: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def schema(self, names: list[str] | None = None) -> pa.Schema:
        cols = [c for c in self.columns if names is None or c.name in names]
        return pa.schema([(c.name, c.arrow_type) for c in cols])


def _c(name: str, type: ColumnType = "str", **kw) -> Column:
    return Column(name, type, **kw)


def _opt(name: str, type: ColumnType = "str", **kw) -> Column:
    """An optional column whose values may be blank."""
    return Column(name, type, required=False, nullable=True, **kw)


CODE = 40  # longest organisation, person or team code we accept
_PARTIES = (_c("person_id", max_length=64), _c("provider", max_length=CODE), _c("commissioner", max_length=CODE))

# -- payment activity (openpbr.payment.activity); [start, end) periods, end null = open --------------------------

CLUSTER_PERIODS = TableSpec("cluster_periods", (
    *_PARTIES, _c("cluster", max_length=4, description="care cluster code, a string: '04' is not 4"),
    _c("start_date", "date", not_future=True), _opt("end_date", "date"), _opt("need_group", max_length=CODE),
), ordered=(("start_date", "end_date"),), description="Cluster periods priced per day by cluster.")

ASSESSMENTS_ACTIVITY = TableSpec("assessments", (
    *_PARTIES, _c("assessed_on", "date", not_future=True),
), description="Initial assessments (paid per assessment where a contract prices them).")

BED_DAYS = TableSpec("bed_days", (
    *_PARTIES, _c("start_date", "date", not_future=True), _opt("end_date", "date"),
), ordered=(("start_date", "end_date"),), description="Occupied bed days, [start, end).")

SPELLS = TableSpec("spells", (
    _c("spell_id", max_length=64), _c("provider", max_length=CODE), _c("commissioner", max_length=CODE),
    _c("hrg", max_length=8), _c("pod", max_length=4), _c("admission_date", "date", not_future=True),
    _c("discharge_date", "date", not_future=True), _opt("age", "int", non_negative="quantity"),
    _opt("admission_method", max_length=4), _opt("bpt_met", "bool"), _opt("spec_service", max_length=CODE),
    _opt("unbundled", max_length=400), _opt("elective_readmission_30d", "bool"),
), ordered=(("admission_date", "discharge_date"),), description="Acute hospital spells (tariff).")

POPULATION = TableSpec("population", (
    *_PARTIES, _opt("risk_group", max_length=CODE), _c("start_date", "date"), _opt("end_date", "date"),
), ordered=(("start_date", "end_date"),), description="Registered population (capitation).")

PERSONAL_BUDGETS = TableSpec("personal_budgets", (
    *_PARTIES, _c("start_date", "date"), _opt("end_date", "date"),
    _c("annual_value", "decimal", non_negative="amount", description="pounds a year"),
), ordered=(("start_date", "end_date"),), description="Personal budgets, deducted from the contract.")

INDICATOR_RESULTS_PAYMENT = TableSpec("indicator_results", (
    _c("contract_id", max_length=CODE), _c("indicator", max_length=80), _opt("value", "decimal"),
    _opt("need_group", max_length=CODE), _opt("achieved", "int", non_negative="quantity"),
    _opt("eligible", "int", non_negative="quantity"), _opt("definition_ref", max_length=200),
    _opt("months", max_length=200), _opt("trace", text=True, max_length=TRACE_LIMIT),
), description="Indicator results per contract, as payment reads them (openpbr.outcomes.payment_feed).")

ACTIVITY_SPECS: dict[str, TableSpec] = {s.name: s for s in (
    CLUSTER_PERIODS, ASSESSMENTS_ACTIVITY, BED_DAYS, SPELLS, POPULATION, PERSONAL_BUDGETS, INDICATOR_RESULTS_PAYMENT)}

# -- MHSDS-shape extracts (openpbr.records.mhsds) ----------------------------------------------------------------

MHS801 = TableSpec("MHS801", (
    _c("ClustId", max_length=64), _c("LocalPatientId", max_length=64), _c("NHSNumber", max_length=12),
    _opt("BirthYear", "int", birth_year=True), _c("OrgIDProv", max_length=CODE),
    _opt("CareProfTeamLocalId", max_length=CODE), _c("CareProfLocalId", max_length=CODE),
    _c("AssToolCompDate", "date", not_future=True), _opt("ClustCat", max_length=CODE),
    _c("ClustToolAssReason", max_length=CODE), _opt("MHCareClusterSuperClass", max_length=CODE),
    _opt("AMHCareClustCodeInit", max_length=4),
), description="MHSDS MHS801 cluster tool (one row per assessment).")

MHS802 = TableSpec("MHS802", (
    _c("ClustId", max_length=64), _c("CodedAssToolType", max_length=CODE), _c("PersScore", "int"),
    _opt("ProblemType", max_length=1),
), description="MHSDS MHS802 item ratings (one row per item rated).")

MHS803 = TableSpec("MHS803", (
    _c("ClustId", max_length=64), _c("StartDateCareClust", "date", not_future=True),
    _opt("EndDateCareClust", "date"), _c("AMHCareClustCodeFin", max_length=4), _c("OrgIDComm", max_length=CODE),
    _opt("SuggestedCluster", max_length=4), _opt("Fit", "decimal"), _opt("RedRuleBreach", max_length=400),
    _c("ChosenBy", max_length=CODE), _opt("OverrideReason", text=True, max_length=2000),
    _opt("TransitionReason", max_length=CODE), _opt("EndReason", max_length=CODE),
), ordered=(("StartDateCareClust", "EndDateCareClust"),), description="MHSDS MHS803 care cluster periods.")

MHSDS_SPECS: dict[str, TableSpec] = {s.name: s for s in (MHS801, MHS802, MHS803)}

# -- batch clustering (openpbr cluster) ---------------------------------------------------------------------------

_RATINGS = tuple(f"item_{i:02d}" for i in range(1, 14)) + tuple(f"hist_{x}" for x in "abcde")

CLUSTER_ASSESSMENTS = TableSpec("assessments", (
    _c("assessment_id", max_length=64),
    *(_c(r, "int", nullable=True, description="0-4, 9 not known; the engine names a bad rating") for r in _RATINGS),
    _c("item_08_type", nullable=True, max_length=1), _opt("assessed_on", "date", not_future=True),
    _opt("psychosis_history", max_length=3), _opt("age", "int", non_negative="quantity"),
    _opt("previous_cluster", max_length=4),
), description="Input of `openpbr cluster` (README, batch clustering contract).")

ALLOCATIONS = TableSpec("allocations", (
    _c("assessment_id", max_length=64), _opt("super_class", max_length=CODE), _opt("cluster", max_length=4),
    _opt("fit", "decimal"), _opt("cluster_2", max_length=4), _opt("fit_2", "decimal"), _opt("cluster_3", max_length=4),
    _opt("fit_3", "decimal"), _opt("red_rules", text=True, max_length=2000), _opt("review_due", "date"),
    _c("result_code", max_length=CODE), _opt("message", text=True),
), description="Output of `openpbr cluster`, one row per input row in order.")

# -- outcomes and settlement outputs ------------------------------------------------------------------------------

INDICATOR_RESULTS = TableSpec("indicator_results_outcomes", (
    _c("indicator_id", max_length=80), _c("unit_type", max_length=CODE), _c("unit", max_length=200),
    _c("period", max_length=7), _opt("numerator", "int", non_negative="quantity"),
    _opt("denominator", "int", non_negative="quantity"), _opt("value", "decimal"), _opt("low_is_good", "bool"),
    _opt("provisional", "bool"), _opt("definition_ref", max_length=200), _opt("trace", text=True, max_length=TRACE_LIMIT),
), description="Indicator results as `openpbr outcomes indicators` writes them.")

STATEMENT_LINES = TableSpec("statement_lines", (
    _c("run_key", max_length=64), _c("contract_id", max_length=CODE), _c("commissioner", nullable=True, max_length=CODE),
    _c("provider", nullable=True, max_length=CODE), _c("period_start", "date"), _c("period_end", "date"),
    _c("line_no", "int", nullable=True), _c("model", nullable=True, max_length=CODE),
    _c("rule", nullable=True, max_length=80), _c("code", max_length=CODE), _c("description", nullable=True, text=True),
    _c("quantity", "decimal", nullable=True), _c("unit", nullable=True, max_length=CODE),
    _c("amount_gbp", "decimal", description="pounds; negative for deductions and clawbacks"),
    _c("trace", nullable=True, text=True, max_length=TRACE_LIMIT),
), ordered=(("period_start", "period_end"),), description="Settlement statement lines (`pay settle --out`).")

ALL_SPECS: tuple[TableSpec, ...] = (
    *ACTIVITY_SPECS.values(), *MHSDS_SPECS.values(), CLUSTER_ASSESSMENTS, ALLOCATIONS, INDICATOR_RESULTS,
    STATEMENT_LINES,
)
