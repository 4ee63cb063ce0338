"""Small builders for worked examples: contracts from text, activity tables from rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from openpbr.payment.activity import ActivityBundle
from openpbr.payment.contracts import parse_contract
from openpbr.payment.settle import settle


def contract(models: str, cid: str = "C1", commissioner: str = "CCG1", provider: str = "P1",
             valid_from: str = "2024-04-01", valid_to: str = "2025-04-01", extra: str = ""):
    body = "\n".join("  " + ln for ln in models.strip().splitlines())
    return parse_contract(f"contract_id: {cid}\ncommissioner: {commissioner}\nprovider: {provider}\n"
                          f"valid_from: {valid_from}\nvalid_to: {valid_to}\n{extra}models:\n{body}\n")


def periods(*rows, need: list[str] | None = None) -> pa.Table:
    """rows: (person, provider, commissioner, cluster, start ISO, end ISO or None)."""
    cols = list(zip(*rows))
    t = {
        "person_id": pa.array(cols[0]), "provider": pa.array(cols[1]), "commissioner": pa.array(cols[2]),
        "cluster": pa.array(cols[3]), "start_date": pa.array([date.fromisoformat(x) for x in cols[4]]),
        "end_date": pa.array([date.fromisoformat(x) if x else None for x in cols[5]], type=pa.date32()),
    }
    if need:
        t["need_group"] = pa.array(need)
    return pa.table(t)


def table(**cols) -> pa.Table:
    out = {}
    for k, v in cols.items():
        if k.endswith("_date") or k == "assessed_on":
            out[k] = pa.array([date.fromisoformat(x) if x else None for x in v], type=pa.date32())
        else:
            out[k] = pa.array(v)
    return pa.table(out)


def schedule(tmp_path: Path, entries: str, status: str = "Live", name: str = "prices") -> str:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"dataset: test.{name}\nversion: \"1\"\nstatus: {status}\ndefaults:\n  source: test\n  evidence: D\n"
                 f"entries:\n{entries}", encoding="utf-8")
    return str(p)


def run(contracts, start: str, end: str, mode: str = "live", **tables):
    return settle(list(contracts), ActivityBundle(**tables), date.fromisoformat(start), date.fromisoformat(end), mode)


def amounts(statement) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln in statement.lines:
        out[ln.rule] = out.get(ln.rule, 0) + ln.amount
    return out
