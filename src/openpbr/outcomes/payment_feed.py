"""Indicator results in the shape the payment engine reads (openpbr.payment.activity).

payment ``indicator_results``: contract_id, indicator, value | (need_group, achieved, eligible).
Rows come from the ``provider_commissioner`` unit of an indicator run, summed
over the settlement months: a proportion becomes achieved = sum of numerators,
eligible = sum of denominators (value = achieved / eligible); a count becomes
the mean monthly count (achieved / eligible left empty). Every row keeps
definition_ref and a trace naming the months and source results, so a payment
line can be followed back to the people counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class ContractKey:
    contract_id: str
    provider: str
    commissioner: str


def payment_indicator_results(results: pa.Table, contracts: list[ContractKey], start: date, end: date,
                              indicators: list[str] | None = None, kinds: dict[str, str] | None = None,
                              by_need_group: bool = False) -> pa.Table:
    """One row per contract x indicator for the months from ``start`` to ``end`` inclusive.

    With ``by_need_group`` a proportion indicator gives one row per need group
    (achieved and eligible for that group), so the payment engine can apply its
    social-value weights; counts stay one row per contract.
    """
    first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
    in_window = pc.and_(pc.greater_equal(results["period"], first), pc.less_equal(results["period"], last))
    wanted = ["provider_commissioner"] + (["provider_commissioner_need"] if by_need_group else [])
    r = results.filter(pc.and_(pc.is_in(results["unit_type"], value_set=pa.array(wanted)), in_window))
    if indicators:
        r = r.filter(pc.is_in(r["indicator_id"], value_set=pa.array(indicators)))
    rows = {k: [] for k in ("contract_id", "indicator", "value", "need_group", "achieved", "eligible", "definition_ref", "months", "trace")}
    by_key: dict[tuple[str, str, str], list[dict]] = {}
    for row in r.to_pylist():
        by_key.setdefault((row["unit_type"], row["unit"], row["indicator_id"]), []).append(row)
    for c in contracts:
        unit = f"{c.provider}|{c.commissioner}"
        for (unit_type, u, ind), months in sorted(by_key.items()):
            if unit_type != "provider_commissioner" or u != unit:
                continue
            trace0 = json.loads(months[0]["trace"])
            kind = (kinds or {}).get(ind) or trace0.get("kind", "proportion")
            if kind == "proportion" and by_need_group:
                groups = [(u2.rsplit("|", 1)[1], m2) for (t2, u2, i2), m2 in sorted(by_key.items())
                          if t2 == "provider_commissioner_need" and i2 == ind and u2.rsplit("|", 1)[0] == unit]
                for need, need_months in groups:
                    _append(rows, c, ind, kind, need_months, f"{unit}|{need}", need)
                continue
            _append(rows, c, ind, kind, months, unit, None)
    schema = pa.schema([("contract_id", pa.string()), ("indicator", pa.string()), ("value", pa.string()), ("need_group", pa.string()),
                        ("achieved", pa.int64()), ("eligible", pa.int64()), ("definition_ref", pa.string()),
                        ("months", pa.int64()), ("trace", pa.string())])
    return pa.table(rows, schema=schema)


def _append(rows: dict, c: ContractKey, ind: str, kind: str, months: list[dict], unit: str, need_group: str | None) -> None:
    """One feed row from the monthly results of one unit: proportions sum numerators and denominators."""
    trace0 = json.loads(months[0]["trace"])
    num = sum(m["numerator"] for m in months)
    den = sum(m["denominator"] for m in months)
    if kind == "proportion":
        value, achieved, eligible = (num / den if den else None), num, den
    else:
        value, achieved, eligible = num / len(months), None, None
    rows["contract_id"].append(c.contract_id)
    rows["indicator"].append(ind)
    rows["value"].append(None if value is None else f"{value:.6f}")
    rows["need_group"].append(need_group)
    rows["achieved"].append(achieved)
    rows["eligible"].append(eligible)
    rows["definition_ref"].append(months[0]["definition_ref"])
    rows["months"].append(len(months))
    rows["trace"].append(json.dumps({"unit": unit, "periods": [m["period"] for m in months],
                                     "definition": months[0]["definition_ref"], "inputs": trace0.get("inputs"),
                                     "rules": trace0.get("rules"), "provisional": any(m["provisional"] for m in months)},
                                    sort_keys=True))


# The exchanged file: ``indicator_results.csv`` as `openpbr outcomes indicators --payment-results`
# writes it and `openpbr pay settle --indicators` reads it. Reading gives back the very table written.
PAYMENT_RESULTS_SCHEMA = pa.schema([("contract_id", pa.string()), ("indicator", pa.string()), ("value", pa.string()),
                                    ("need_group", pa.string()), ("achieved", pa.int64()), ("eligible", pa.int64()),
                                    ("definition_ref", pa.string()), ("months", pa.int64()), ("trace", pa.string())])
REQUIRED_COLUMNS = ("contract_id", "indicator")


def payment_results_from_records(db, contracts: list[ContractKey], start: date, end: date) -> pa.Table:
    """Payment indicator results for the window [start, end) computed from a records database.

    The one route both `pay settle --db` and `outcomes indicators --payment-results` take:
    indicators for the months of the window (per need group, for social-value weights).
    """
    from datetime import timedelta

    from openpbr.outcomes.indicators import compute_indicators
    from openpbr.outcomes.records_adapter import read_inputs

    last = end - timedelta(days=1)
    run = compute_indicators(read_inputs(db, start, last), start, last)
    return payment_indicator_results(run.results, contracts, start, last, by_need_group=True)


def write_payment_results(table: pa.Table, path) -> Path:
    """Write payment indicator results (atomic, Excel-safe) in the exchanged schema."""
    from openpbr.io.safe import write_table_csv

    return write_table_csv(table.select(PAYMENT_RESULTS_SCHEMA.names).cast(PAYMENT_RESULTS_SCHEMA), path)


def read_payment_results(path) -> pa.Table:
    """Read an ``indicator_results.csv``; a missing file or column is an InputError naming it."""
    from pathlib import Path

    import pyarrow.csv as pacsv

    from openpbr.errors import InputError

    p = Path(path)
    if not p.is_file():
        raise InputError(f"indicator results file {p} not found", code="FILE_NOT_FOUND")
    try:
        head = pacsv.read_csv(p, read_options=pacsv.ReadOptions(block_size=1 << 20)).schema.names
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV file ({type(exc).__name__})") from None
    names = {h.strip().lower(): h for h in head}
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing or not ({"value"} <= set(names) or {"achieved", "eligible"} <= set(names)):
        need = missing or ["value, or achieved and eligible"]
        raise InputError(f"{p}: missing column {', '.join(need)} (columns: {', '.join(PAYMENT_RESULTS_SCHEMA.names)})",
                         code="MISSING_COLUMN")
    types = {names[f.name]: f.type for f in PAYMENT_RESULTS_SCHEMA if f.name in names}
    try:
        t = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                                  include_columns=list(types)))
    except pa.ArrowInvalid as exc:
        raise InputError(f"{p}: a value does not fit its column ({str(exc).splitlines()[0][:120]})",
                         code="BAD_VALUE") from None
    t = t.rename_columns([h.strip().lower() for h in t.column_names])
    cols = [t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
            for f in PAYMENT_RESULTS_SCHEMA]
    return pa.table(cols, schema=PAYMENT_RESULTS_SCHEMA).combine_chunks()
