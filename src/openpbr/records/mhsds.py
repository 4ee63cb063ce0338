"""MHSDS-shape CSV import and export: MHS801 (cluster tool), MHS802 (item ratings), MHS803 (care cluster).

Field names follow MHSDS (mental-health-clustering.md §6.3). Columns that
§6.3 does not list are taken from other MHSDS tables (``NHSNumber``,
``OrgIDProv``, ``OrgIDComm``, ``CareProfTeamLocalId``, ``CareProfLocalId``)
or are OpenPbR extensions (``SuggestedCluster``, ``Fit``, ``ChosenBy``,
``OverrideReason``, ``TransitionReason``, ``RedRuleBreach``, ``EndReason``,
``ProblemType``). ``CodedAssToolType`` uses OpenPbR item codes (item_01 ..
hist_e) because the SNOMED CT codes are not confirmed [U]; the
``ClustToolAssReason`` code list is [U] too, so it carries the reason words.

Import rules:
- the three files load in one transaction: an unexpected failure rolls back
  everything, so nothing is half-written;
- a bad row is reported (file, line, field, reason) and skipped; good rows load;
- a row already stored with the same content is skipped, so re-importing a
  file changes nothing; a stored row with different content is reported,
  except that an open period may be closed by a later file (EndDateCareClust).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from openpbr.clustering import ITEM_CODES, review_due
from openpbr.clustering.ratings import PROBLEM_TYPES, VALID_RATINGS, cluster_code
from openpbr.db import make_engine
from openpbr.records import audit
from openpbr.records.careplans import package_for
from openpbr.records.mhsds_load import Snapshot, write
from openpbr.records.models import (
    ASSESSMENT_REASONS,
    ITEM_COLUMNS,
    Assessment,
    ClusterPeriod,
    Discharge,
    Organisation,
    ServiceUser,
    Team,
)
from openpbr.records.nhs import InvalidNHSNumber, normalise_nhs_number
from openpbr.reference import NotInForce, builtin_dataset

MHS801 = ("ClustId", "LocalPatientId", "NHSNumber", "BirthYear", "OrgIDProv", "CareProfTeamLocalId", "CareProfLocalId",
          "AssToolCompDate", "ClustCat", "ClustToolAssReason", "MHCareClusterSuperClass", "AMHCareClustCodeInit")
MHS802 = ("ClustId", "CodedAssToolType", "PersScore", "ProblemType")
MHS803 = ("ClustId", "StartDateCareClust", "EndDateCareClust", "AMHCareClustCodeFin", "OrgIDComm", "SuggestedCluster",
          "Fit", "RedRuleBreach", "ChosenBy", "OverrideReason", "TransitionReason", "EndReason")
FILES = {"MHS801": MHS801, "MHS802": MHS802, "MHS803": MHS803}


class ImportFailed(RuntimeError):
    """The import could not run at all (missing file or columns, database error); nothing was written."""


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[RowError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


class _RowRejected(Exception):
    def __init__(self, fld: str, reason: str):
        self.field, self.reason = fld, reason


def _read(path: Path, name: str) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise ImportFailed(f"{name}: file {path.name} not found")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        # csv.DictReader's rules (blank lines skipped, short rows padded, extra and unnamed fields dropped), without its overhead
        reader = csv.reader(fh)
        header = next(reader, [])
        missing = [c for c in FILES[name] if c not in header and c in _REQUIRED[name]]
        if missing:
            raise ImportFailed(f"{name}: missing columns {', '.join(missing)}")
        out = []
        for fields in reader:
            if fields:
                row = dict(zip(header, map(str.strip, fields)))
                if len(fields) < len(header):
                    row.update(dict.fromkeys(header[len(fields):], ""))
                row.pop("", None)
                out.append((reader.line_num, row))
        return out


_REQUIRED = {
    "MHS801": ("ClustId", "LocalPatientId", "NHSNumber", "OrgIDProv", "CareProfLocalId", "AssToolCompDate", "ClustToolAssReason"),
    "MHS802": ("ClustId", "CodedAssToolType", "PersScore"),
    "MHS803": ("ClustId", "StartDateCareClust", "AMHCareClustCodeFin", "OrgIDComm", "ChosenBy"),
}


def _date(row: dict, fld: str, required: bool = True) -> date | None:
    text = row.get(fld, "")
    if not text:
        if required:
            raise _RowRejected(fld, "blank")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _RowRejected(fld, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _need(row: dict, fld: str, max_len: int = 40) -> str:
    text = row.get(fld, "")
    if not text:
        raise _RowRejected(fld, "blank")
    if len(text) > max_len:
        raise _RowRejected(fld, f"longer than {max_len} characters")
    return text


class _Plan:
    """Row checks, in the order and with the messages of a row-by-row load, against a :class:`Snapshot`."""

    def __init__(self, snap: Snapshot, report: ImportReport, actor: str, nhs: dict[str, str | InvalidNHSNumber]):
        self.snap, self.report, self.actor, self.nhs = snap, report, actor, nhs
        self.events: list[tuple[str, str, str | int, dict]] = []  # (action, entity, entity id or provisional id, payload)
        self._due: dict[tuple, date] = {}
        self._packages: dict[tuple, object] = {}

    def reject(self, file: str, line: int, exc: _RowRejected) -> None:
        self.report.errors.append(RowError(file, line, exc.field, exc.reason))

    def org(self, code: str, role: str, fld: str) -> int:
        if not (3 <= len(code) <= 5 and code.isalnum()):
            raise _RowRejected(fld, f"{code!r} is not an ODS code")
        found = self.snap.orgs.get(code)
        if found is None:  # first sight of an organisation: record it by code
            return self.snap.add("organisations", dict(ods_code=code, name=code, role=role))
        if found[1] != role:
            raise _RowRejected(fld, f"{code} is a {found[1]}, not a {role}")
        return found[0]

    def team(self, code: str, provider_id: int) -> int | None:
        if not code:
            return None
        tid = self.snap.teams.get(code)
        if tid is None:
            tid = self.snap.add("teams", dict(code=code, name=code, provider_id=provider_id))
        return tid

    # MHS802 first: ratings are grouped by ClustId and checked before their MHS801 row.
    def ratings(self, rows) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(dict)
        for line, row in rows:
            try:
                cid = _need(row, "ClustId")
                item = row.get("CodedAssToolType", "")
                if item not in ITEM_CODES:
                    raise _RowRejected("CodedAssToolType", f"{item!r} is not an MHCT item code (item_01-item_13, hist_a-hist_e)")
                score = row.get("PersScore", "")
                if not score.isdigit() or int(score) not in VALID_RATINGS:
                    raise _RowRejected("PersScore", f"{score!r} is not a rating (0-4, or 9 for not known)")
                ptype = row.get("ProblemType", "").upper() or None
                if ptype is not None and (item != "item_08" or ptype not in PROBLEM_TYPES):
                    raise _RowRejected("ProblemType", f"{ptype!r} is allowed only on item_08 and must be A-J")
                if item in out[cid]:
                    raise _RowRejected("CodedAssToolType", f"{item} rated twice for ClustId {cid}")
                out[cid][item] = int(score)
                if ptype:
                    out[cid]["item_08_type"] = ptype
            except _RowRejected as exc:
                self.reject("MHS802", line, exc)
        return out

    def assessment(self, row: dict, ratings: dict[str, dict]) -> None:
        cid = _need(row, "ClustId")
        nhs = self.nhs[row.get("NHSNumber")]
        if isinstance(nhs, InvalidNHSNumber):
            raise _RowRejected("NHSNumber", str(nhs))
        pseudo = _need(row, "LocalPatientId", 20)
        assessed_on = _date(row, "AssToolCompDate")
        reason = row.get("ClustToolAssReason", "")
        if reason not in ASSESSMENT_REASONS:
            raise _RowRejected("ClustToolAssReason", f"{reason!r} is not one of {', '.join(ASSESSMENT_REASONS)}")
        assessor = _need(row, "CareProfLocalId")
        got = ratings.get(cid, {})
        missing = [c for c in ITEM_COLUMNS if c not in got]
        if missing:
            raise _RowRejected("ClustId", f"MHS802 ratings missing or rejected for {', '.join(missing)}")
        birth = row.get("BirthYear", "")
        if birth and not (birth.isdigit() and 1880 <= int(birth) <= assessed_on.year):
            raise _RowRejected("BirthYear", f"{birth!r} is not a year of birth")
        provider_id = self.org(row.get("OrgIDProv", ""), "provider", "OrgIDProv")
        person = self.snap.people.get(pseudo)
        new_person = person is None
        if new_person:
            if nhs in self.snap.nhs_held:
                raise _RowRejected("NHSNumber", "already held for a different LocalPatientId")
            su_id = self.snap.add("service_users", dict(pseudo_id=pseudo, nhs_number=nhs, birth_year=int(birth) if birth else None))
        elif person[1] != nhs:
            raise _RowRejected("NHSNumber", f"does not match the NHS number held for {pseudo}")
        else:
            su_id = person[0]
        team_id = self.team(row.get("CareProfTeamLocalId", ""), provider_id)
        values = dict(service_user_id=su_id, team_id=team_id, assessor=assessor, assessed_on=assessed_on,
                      reason=reason, clust_cat=row.get("ClustCat") or "01", item_08_type=got.get("item_08_type"),
                      **{c: got[c] for c in ITEM_COLUMNS})
        stored = self.snap.assessments.get(cid)
        if stored is not None:
            diff = [k for k, v in values.items() if stored[k] != v]
            if diff:
                raise _RowRejected(diff[0], f"ClustId {cid} is already stored with a different {diff[0]}")
            self.report.unchanged["MHS801"] += 1
            return
        self.snap.add("assessments", dict(clust_id=cid, **values))
        if new_person:
            self.report.inserted["service_users"] += 1
        self.report.inserted["MHS801"] += 1
        self.events.append(("assessment", "assessment", cid, dict(
            person=pseudo, assessed_on=assessed_on, reason=reason, ratings=[got[c] for c in ITEM_COLUMNS], source="MHS801 import")))

    def period(self, row: dict) -> None:
        cid = _need(row, "ClustId")
        a = self.snap.assessments.get(cid)
        if a is None:
            raise _RowRejected("ClustId", f"no MHS801 assessment {cid} (in this import or stored)")
        start, end = _date(row, "StartDateCareClust"), _date(row, "EndDateCareClust", required=False)
        if start < a["assessed_on"]:
            raise _RowRejected("StartDateCareClust", "before the assessment date")
        if end is not None and end < start:
            raise _RowRejected("EndDateCareClust", "before StartDateCareClust")
        try:
            chosen = cluster_code(row.get("AMHCareClustCodeFin", ""))
        except ValueError as exc:
            raise _RowRejected("AMHCareClustCodeFin", str(exc)) from None
        if chosen == "09":
            raise _RowRejected("AMHCareClustCodeFin", "cluster 09 is never allocated")
        suggested = None
        if row.get("SuggestedCluster"):
            try:
                suggested = cluster_code(row["SuggestedCluster"])
            except ValueError as exc:
                raise _RowRejected("SuggestedCluster", str(exc)) from None
        fit = None
        if row.get("Fit"):
            try:
                fit = float(row["Fit"])
                assert 0 <= fit <= 1
            except (ValueError, AssertionError):
                raise _RowRejected("Fit", f"{row['Fit']!r} is not a number between 0 and 1") from None
        override = row.get("OverrideReason") or None
        if suggested is not None and suggested != chosen and not override:
            raise _RowRejected("OverrideReason", f"chosen {chosen} differs from suggested {suggested}: a reason is required")
        end_reason = row.get("EndReason") or None
        if end_reason not in (None, "review", "transition", "discharge"):
            raise _RowRejected("EndReason", f"{end_reason!r} is not review, transition or discharge")
        commissioner_id = self.org(row.get("OrgIDComm", ""), "commissioner", "OrgIDComm")
        provider_id = self.snap.team_provider.get(a["team_id"]) if a["team_id"] else None
        if provider_id is None:
            raise _RowRejected("ClustId", "assessment has no team, so the provider is unknown")
        values = dict(service_user_id=a["service_user_id"], provider_id=provider_id, commissioner_id=commissioner_id,
                      team_id=a["team_id"], suggested_cluster=suggested, fit=fit, chosen_cluster=chosen,
                      chosen_by=_need(row, "ChosenBy"), override_reason=override,
                      transition_reason=row.get("TransitionReason") or None,
                      red_rule_breach=row.get("RedRuleBreach", "").upper() == "Y", review_due=self._review_due(start, chosen))
        stored = self.snap.periods.get((a["id"], start))
        if stored is not None:
            diff = [k for k, v in values.items() if stored[k] != v]
            if diff:
                raise _RowRejected(diff[0], f"cluster period for ClustId {cid} is already stored with a different {diff[0]}")
            if stored["end_on"] == end:
                self.report.unchanged["MHS803"] += 1
                return
            if stored["end_on"] is not None:
                raise _RowRejected("EndDateCareClust", f"period already ended on {stored['end_on']}")
            self.snap.close_period(stored, end)
            self.report.updated["MHS803"] += 1
            self._after_end(stored, end_reason, cid)
            return
        for q in self.snap.periods_of.get(a["service_user_id"], ()):
            if q["start_on"] < (end or date.max) and (q["end_on"] is None or q["end_on"] > start):
                raise _RowRejected("StartDateCareClust", "overlaps another cluster period for this person")
        p = dict(assessment_id=a["id"], start_on=start, end_on=end, version=1, **values)
        pid = self.snap.add("cluster_periods", p)
        pkg = self._package(chosen, start)
        if pkg is not None:
            self.snap.add("care_package_assignments", dict(
                service_user_id=a["service_user_id"], cluster_period_id=pid, package_key=pkg.key, package_ref=pkg.ref,
                cost_per_cluster_day=pkg.cost_per_cluster_day, start_on=start, end_on=end))
        self.report.inserted["MHS803"] += 1
        self.events.append(("allocation", "cluster_period", pid, dict(
            clust_id=cid, suggested=suggested, chosen=chosen, start_on=start, end_on=end, source="MHS803 import")))
        if override:
            self.events.append(("override", "cluster_period", pid, dict(
                suggested=suggested, chosen=chosen, reason=override, source="MHS803 import")))
        if end is not None:
            self._after_end(p, end_reason, cid)

    def _after_end(self, p: dict, end_reason: str | None, cid: str) -> None:
        """A discharge row for EndReason=discharge; otherwise the end is the review of this period."""
        if end_reason == "discharge":
            self.snap.add("discharges", dict(service_user_id=p["service_user_id"], cluster_period_id=p["id"],
                                             discharged_on=p["end_on"], discharged_by=p["chosen_by"],
                                             from_cluster=p["chosen_cluster"], reason="MHS803 import"))
            self.events.append(("discharge", "cluster_period", p["id"], dict(clust_id=cid, on=p["end_on"])))
        elif end_reason in ("review", "transition") and p["review_due"] is not None:
            self.snap.add("reviews", dict(cluster_period_id=p["id"], service_user_id=p["service_user_id"],
                                          due_on=p["review_due"], reviewed_on=p["end_on"], reviewed_by=p["chosen_by"],
                                          late=p["end_on"] > p["review_due"],
                                          outcome="confirmed" if end_reason == "review" else "changed"))
            self.events.append(("review", "cluster_period", p["id"], dict(
                clust_id=cid, due_on=p["review_due"], reviewed_on=p["end_on"])))

    # Reference data lookups repeat for the same cluster and date: remember them.
    def _review_due(self, start: date, cluster: str) -> date:
        key = (start, cluster)
        if key not in self._due:
            self._due[key] = review_due(start, cluster)
        return self._due[key]

    def _package(self, cluster: str, start: date):
        key = (cluster, start)
        if key not in self._packages:
            try:
                self._packages[key] = package_for(cluster, start)
            except NotInForce:
                self._packages[key] = None
        return self._packages[key]

    def audit_events(self, ids: dict[int, int]) -> list[audit.Event]:
        """The queued events, with provisional period ids replaced by stored ones."""
        return [audit.Event(self.actor, action, entity, str(ids.get(eid, eid)) if isinstance(eid, int) else eid, payload)
                for action, entity, eid, payload in self.events]


def _nhs_numbers(rows: list) -> dict[str, str | InvalidNHSNumber]:
    """Each NHSNumber in MHS801, normalised once (or the reason it is invalid)."""
    out: dict[str, str | InvalidNHSNumber] = {}
    for _, row in rows:
        raw = row.get("NHSNumber")
        if raw not in out:
            try:
                out[raw] = normalise_nhs_number(raw)
            except InvalidNHSNumber as exc:
                out[raw] = exc
    return out


def _keys(rows: dict[str, list], nhs: dict) -> dict[str, set[str]]:
    """ClustIds, LocalPatientIds and NHS numbers the files mention: what the snapshot needs to read."""
    return dict(clust_ids={r.get("ClustId", "") for n in ("MHS801", "MHS803") for _, r in rows[n]},
                pseudo_ids={r.get("LocalPatientId", "") for _, r in rows["MHS801"]},
                nhs_numbers={v for v in nhs.values() if isinstance(v, str)})


def _file_digest(folder: Path) -> dict[str, str]:
    return {n: hashlib.sha256((folder / f"{n}.csv").read_bytes()).hexdigest() for n in FILES}


def import_mhsds(db: Engine | str | None, folder: str | Path, *, actor: str = "import") -> ImportReport:
    """Load MHS801.csv, MHS802.csv and MHS803.csv from ``folder`` (see module rules)."""
    folder = Path(folder)
    rows = {n: _read(folder / f"{n}.csv", n) for n in FILES}
    report = ImportReport()
    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        with engine.begin() as conn:
            nhs = _nhs_numbers(rows["MHS801"])
            snap = Snapshot(conn, **_keys(rows, nhs))
            plan = _Plan(snap, report, actor, nhs)
            ratings = plan.ratings(rows["MHS802"])
            for line, row in rows["MHS801"]:
                try:
                    with snap.row():  # a rejected row leaves no person, team or organisation behind
                        plan.assessment(row, ratings)
                except _RowRejected as exc:
                    plan.reject("MHS801", line, exc)
            for line, row in sorted(rows["MHS803"], key=lambda lr: (lr[1].get("StartDateCareClust", ""), lr[0])):
                try:
                    with snap.row():
                        plan.period(row)
                except _RowRejected as exc:
                    plan.reject("MHS803", line, exc)
            ids = write(conn, snap)
            if report.changed:
                events = plan.audit_events(ids)
                events.append(audit.Event(actor, "import", "mhsds", folder.name, dict(
                    files=_file_digest(folder), inserted=dict(report.inserted), updated=dict(report.updated),
                    rejected=len(report.errors))))
                audit.append_many(conn, events)
    except (ImportFailed, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise ImportFailed(f"import rolled back, nothing written: {exc.__class__.__name__}: {exc}") from exc
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
    report.errors.sort(key=lambda e: (e.file, e.line))
    return report


def export_mhsds(db: Engine | str | None, folder: str | Path, *, start: date | None = None, end: date | None = None) -> dict[str, int]:
    """Write MHS801/802/803 CSVs for assessments completed in ``[start, end]`` (all when omitted)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clusters = builtin_dataset("clusters")
    engine = db if isinstance(db, Engine) else make_engine(db)
    a, su, cp = Assessment, ServiceUser, ClusterPeriod
    counts = {n: 0 for n in FILES}
    try:
        with engine.connect() as conn:
            q = (select(a, su.pseudo_id, su.nhs_number, su.birth_year, Team.code, Organisation.ods_code)
                 .join(su, su.id == a.service_user_id).outerjoin(Team, Team.id == a.team_id)
                 .outerjoin(Organisation, Organisation.id == Team.provider_id).order_by(a.id))
            if start:
                q = q.where(a.assessed_on >= start)
            if end:
                q = q.where(a.assessed_on <= end)
            comm = Organisation.__table__.alias("comm")
            pq = (select(cp.__table__, a.clust_id, comm.c.ods_code.label("comm_ods"), Discharge.id.label("discharge_id"))
                  .join(a, a.id == cp.assessment_id).join(comm, comm.c.id == cp.commissioner_id)
                  .outerjoin(Discharge, Discharge.cluster_period_id == cp.id).order_by(cp.id))
            if start:
                pq = pq.where(a.assessed_on >= start)
            if end:
                pq = pq.where(a.assessed_on <= end)
            periods = defaultdict(list)
            for p in conn.execute(pq):
                periods[p.clust_id].append(p)
            with (folder / "MHS801.csv").open("w", newline="") as f1, (folder / "MHS802.csv").open("w", newline="") as f2, \
                    (folder / "MHS803.csv").open("w", newline="") as f3:
                w1, w2, w3 = (csv.writer(f) for f in (f1, f2, f3))
                w1.writerow(MHS801), w2.writerow(MHS802), w3.writerow(MHS803)
                for r in conn.execute(q):
                    ps = periods.get(r.clust_id, [])
                    init = ps[0].suggested_cluster if ps else None
                    sc = clusters.resolve(init, r.assessed_on).value["super_class"] if init else None
                    w1.writerow((r.clust_id, r.pseudo_id, r.nhs_number, r.birth_year or "", r.ods_code or "", r.code or "",
                                 r.assessor, r.assessed_on.isoformat(), r.clust_cat, r.reason, sc or "", init or ""))
                    counts["MHS801"] += 1
                    for item in ITEM_COLUMNS:
                        w2.writerow((r.clust_id, item, getattr(r, item), r.item_08_type or "" if item == "item_08" else ""))
                        counts["MHS802"] += 1
                    for p in ps:
                        end_reason = "discharge" if p.discharge_id else ("review" if p.end_on else "")
                        w3.writerow((r.clust_id, p.start_on.isoformat(), p.end_on.isoformat() if p.end_on else "",
                                     p.chosen_cluster, p.comm_ods, p.suggested_cluster or "",
                                     "" if p.fit is None else f"{p.fit:.3f}", "Y" if p.red_rule_breach else "N",
                                     p.chosen_by, p.override_reason or "", p.transition_reason or "", end_reason))
                        counts["MHS803"] += 1
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
    return counts
