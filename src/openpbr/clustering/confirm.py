"""`openpbr confirm`: check clinicians' decisions against the suggestions, file to file.

Input: the assessments file and a decisions file (assessment_id, chosen_cluster,
chosen_by, override_reason, optional decided_on). Output: one row per decision
with the suggestion, the choice, the red rules the choice breaks and whether it
was accepted. The output's ``cluster`` column is the confirmed cluster, so the
file can feed ``openpbr calibrate`` directly.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

from openpbr.clustering.decision import DecisionCode, DecisionError, decide
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import ITEM_CODES, Assessment, AssessmentError
from openpbr.clustering.suggest import suggest
from openpbr.io.safe import write_csv_rows

OUTPUT = (
    "assessment_id", "suggested", "chosen", "decision", "red_rules_broken", "override_reason",
    "chosen_by", "decided_on", "message", *ITEM_CODES, "item_08_type", "cluster",
)  # fmt: skip


def read_rows(path: Path) -> list[dict]:
    """Rows of a small CSV as dicts with lower-case header names; UTF-8 (BOM or not) or cp1252."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    return [dict(zip(header, fields)) for fields in reader if fields]


def confirm_file(assessments: Path, decisions: Path, out: Path, profiles: ProfileSet) -> Counter:
    wanted = {(row.get("assessment_id") or "").strip(): (n, row) for n, row in enumerate(read_rows(decisions), start=2)}
    counts: Counter = Counter()
    rows = []
    for row in read_rows(assessments):
        aid = (row.get("assessment_id") or "").strip()
        if aid not in wanted:
            continue
        line, d = wanted.pop(aid)
        result = _confirm_one(row, d, line, profiles)
        counts[result["decision"]] += 1
        rows.append(result)
    for aid, (line, d) in wanted.items():
        counts["UNKNOWN_ASSESSMENT"] += 1
        rows.append({"assessment_id": aid, "decision": "UNKNOWN_ASSESSMENT", "message": f"decisions line {line}: no assessment with this id"})
    write_csv_rows(out, OUTPUT, ([r.get(c, "") for c in OUTPUT] for r in rows))
    return counts


def _confirm_one(row: dict, d: dict, line: int, profiles: ProfileSet) -> dict:
    base = {"assessment_id": row.get("assessment_id", "").strip(), "chosen_by": d.get("chosen_by", ""), "override_reason": d.get("override_reason", "")}
    try:
        assessment = Assessment.from_mapping(row)
    except AssessmentError as err:
        return base | {"decision": err.code.value, "message": f"assessment: {err}"}
    allocation = suggest(assessment, profiles)
    decided_on = None
    if (d.get("decided_on") or "").strip():
        try:
            decided_on = date.fromisoformat(d["decided_on"].strip())
        except ValueError:
            return base | {"suggested": allocation.cluster, "decision": "INVALID_DATE", "message": f"decisions line {line}: decided_on is not an ISO date"}
    try:
        dec = decide(assessment, allocation, d.get("chosen_cluster", ""), d.get("chosen_by", ""), d.get("override_reason"), decided_on, profiles)
    except DecisionError as err:
        return base | {"suggested": allocation.cluster, "chosen": d.get("chosen_cluster", ""), "decision": err.code.value, "message": f"decisions line {line}: {err}"}
    out = base | {
        "suggested": dec.suggested or "",
        "chosen": dec.chosen,
        "decision": dec.code.value,
        "red_rules_broken": ";".join(str(r) for r in dec.red_rules_broken),
        "override_reason": dec.override_reason or "",
        "decided_on": decided_on.isoformat() if decided_on else "",
        "message": "" if dec.code is DecisionCode.CONFIRMED else "; ".join(r.reason for r in dec.red_rules_broken),
        "cluster": dec.chosen,
    }
    return out | {c: row.get(c, "") for c in (*ITEM_CODES, "item_08_type")}
