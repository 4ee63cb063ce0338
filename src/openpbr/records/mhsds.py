"""MHSDS-shape CSV import and export: MHS801 (cluster tool), MHS802 (item ratings), MHS803 (care cluster).

Field names follow MHSDS (mental-health-clustering.md §6.3). Columns that
§6.3 does not list are taken from other MHSDS tables (``NHSNumber``,
``OrgIDProv``, ``OrgIDComm``, ``CareProfTeamLocalId``, ``CareProfLocalId``)
or are OpenPbR extensions (``SuggestedCluster``, ``Fit``, ``ChosenBy``,
``OverrideReason``, ``TransitionReason``, ``RedRuleBreach``, ``EndReason``,
``ProblemType``, and for an exact round trip ``PsychosisHistory``,
``SettledAccommodation``, ``AccommodationRecordedOn``, ``ResultCode``,
``RedRules``, ``ProfileRef``, ``DischargeReason``). ``CodedAssToolType`` uses OpenPbR item codes (item_01 ..
hist_e) because the SNOMED CT codes are not confirmed [U]; the
``ClustToolAssReason`` code list is [U] too, so it carries the reason words.

Import rules:
- the three files load in one transaction: an unexpected failure rolls back
  everything, so nothing is half-written;
- a bad row is reported (file, line, field, named code, reason) and skipped;
  good rows load (hostile values: see :mod:`openpbr.records.mhsds_read`);
- assessments and periods dated after the import's ``as_of``, and birth years
  before 1900 or after ``as_of``, are rejected;
- a row already stored with the same content is skipped, so re-importing a
  file changes nothing; a stored row with different content is reported,
  except that an open period may be closed by a later file (EndDateCareClust);
- EndReason carries the review outcome: ``review`` (cluster confirmed),
  ``transition`` (cluster changed) or ``discharge``;
- no message, reject or error names an NHS number (field and line only).

Exports are written to temporary names and renamed, every cell Excel-safe (a
text cell starting ``= + - @`` gets a leading apostrophe, which the import
removes again).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from openpbr.clustering import ITEM_CODES, review_due
from openpbr.clustering.ratings import PROBLEM_TYPES, VALID_RATINGS, cluster_code
from openpbr.db import is_stale_snapshot, make_engine
from openpbr.errors import ConflictError, DatabaseError, OpenPbRError
from openpbr.io.safe import atomic_path, excel_safe
from openpbr.records import audit
from openpbr.records.careplans import package_for
from openpbr.records.mhsds_load import Snapshot, StaleRow, write
from openpbr.records.mhsds_read import FileRows, ImportFailed, RowError, read_file, show
from openpbr.records.models import (
    ASSESSMENT_REASONS,
    ITEM_COLUMNS,
    Assessment,
    ClusterPeriod,
    Discharge,
    Organisation,
    Review,
    ServiceUser,
    Team,
)
from openpbr.records.nhs import InvalidNHSNumber, normalise_nhs_number
from openpbr.reference import NotInForce, builtin_dataset

MHS801 = ("ClustId", "LocalPatientId", "NHSNumber", "BirthYear", "OrgIDProv", "CareProfTeamLocalId", "CareProfLocalId",
          "AssToolCompDate", "ClustCat", "ClustToolAssReason", "MHCareClusterSuperClass", "AMHCareClustCodeInit",
          "PsychosisHistory", "SettledAccommodation", "AccommodationRecordedOn")
MHS802 = ("ClustId", "CodedAssToolType", "PersScore", "ProblemType")
MHS803 = ("ClustId", "StartDateCareClust", "EndDateCareClust", "AMHCareClustCodeFin", "OrgIDComm", "SuggestedCluster",
          "Fit", "RedRuleBreach", "ChosenBy", "OverrideReason", "TransitionReason", "EndReason", "ResultCode",
          "RedRules", "ProfileRef", "DischargeReason")
FILES = {"MHS801": MHS801, "MHS802": MHS802, "MHS803": MHS803}


@dataclass
class ImportReport:
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a file read as cp1252

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


class _RowRejected(Exception):
    def __init__(self, fld: str, reason: str, code: str = "INVALID_VALUE"):
        self.field, self.reason, self.code = fld, reason, code


def _read(path: Path, name: str, as_of: date) -> FileRows:
    return read_file(path, name, as_of)


def _date(row: dict, fld: str, required: bool = True) -> date | None:
    text = row.get(fld, "")
    if not text:
        if required:
            raise _RowRejected(fld, "blank", "BLANK")
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("x")
    except ValueError:
        if "/" in text:
            raise _RowRejected(fld, f"{show(text)} looks like DD/MM/YYYY: write dates as YYYY-MM-DD", "NOT_ISO_DATE") from None
        raise _RowRejected(fld, f"{show(text)} is not a date (YYYY-MM-DD)", "NOT_A_DATE") from None


def _not_after(d: date | None, as_of: date, fld: str) -> None:
    if d is not None and d > as_of:
        raise _RowRejected(fld, f"{d.isoformat()} is after the import's as-of date {as_of.isoformat()}", "FUTURE_DATE")


def _need(row: dict, fld: str, max_len: int = 40) -> str:
    text = row.get(fld, "")
    if not text:
        raise _RowRejected(fld, "blank", "BLANK")
    if len(text) > max_len:
        raise _RowRejected(fld, f"longer than {max_len} characters", "TOO_LONG")
    return text


def _flag(row: dict, fld: str) -> bool | None:
    text = row.get(fld, "").upper()
    if text not in ("", "Y", "N"):
        raise _RowRejected(fld, f"{show(text)} is not Y or N", "NOT_Y_OR_N")
    return None if not text else text == "Y"


class _Plan:
    """Row checks, in the order and with the messages of a row-by-row load, against a :class:`Snapshot`."""

    def __init__(self, snap: Snapshot, report: ImportReport, actor: str, nhs: dict[str, str | InvalidNHSNumber],
                 as_of: date, providers: frozenset[str] | None = None):
        self.snap, self.report, self.actor, self.nhs, self.as_of = snap, report, actor, nhs, as_of
        self.providers = providers
        self.events: list[tuple[str, str, str | int, dict]] = []  # (action, entity, entity id or provisional id, payload)
        self._due: dict[tuple, date] = {}
        self._packages: dict[tuple, object] = {}

    def reject(self, file: str, line: int, exc: _RowRejected) -> None:
        self.report.errors.append(RowError(file, line, exc.field, exc.reason, exc.code))

    def org(self, code: str, role: str, fld: str) -> int:
        if not (3 <= len(code) <= 5 and code.isalnum()):
            raise _RowRejected(fld, f"{show(code)} is not an ODS code", "NOT_AN_ODS_CODE")
        found = self.snap.orgs.get(code)
        if found is None:  # first sight of an organisation: record it by code
            return self.snap.add("organisations", dict(ods_code=code, name=code, role=role))
        if found[1] != role:
            raise _RowRejected(fld, f"{code} is a {found[1]}, not a {role}", "WRONG_ORGANISATION_ROLE")
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
                    raise _RowRejected("CodedAssToolType", f"{show(item)} is not an MHCT item code (item_01-item_13, hist_a-hist_e)",
                                       "NOT_AN_ITEM_CODE")
                score = row.get("PersScore", "")
                if not (score.isascii() and score.isdigit()) or int(score) not in VALID_RATINGS:
                    raise _RowRejected("PersScore", f"{show(score)} is not a rating (0-4, or 9 for not known)", "NOT_A_RATING")
                ptype = row.get("ProblemType", "").upper() or None
                if ptype is not None and (item != "item_08" or ptype not in PROBLEM_TYPES):
                    raise _RowRejected("ProblemType", f"{show(ptype)} is allowed only on item_08 and must be A-J", "NOT_A_PROBLEM_TYPE")
                if item in out[cid]:
                    raise _RowRejected("CodedAssToolType", f"{item} rated twice for ClustId {cid}", "DUPLICATE_RATING")
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
            raise _RowRejected("NHSNumber", str(nhs), "INVALID_NHS_NUMBER")
        pseudo = _need(row, "LocalPatientId", 20)
        assessed_on = _date(row, "AssToolCompDate")
        _not_after(assessed_on, self.as_of, "AssToolCompDate")
        reason = row.get("ClustToolAssReason", "")
        if reason not in ASSESSMENT_REASONS:
            raise _RowRejected("ClustToolAssReason", f"{show(reason)} is not one of {', '.join(ASSESSMENT_REASONS)}", "NOT_A_REASON")
        assessor = _need(row, "CareProfLocalId")
        got = ratings.get(cid, {})
        missing = [c for c in ITEM_COLUMNS if c not in got]
        if missing:
            raise _RowRejected("ClustId", f"MHS802 ratings missing or rejected for {', '.join(missing)}", "RATINGS_MISSING")
        birth = row.get("BirthYear", "")
        if birth and not (birth.isascii() and birth.isdigit()):
            raise _RowRejected("BirthYear", f"{show(birth)} is not a year", "NOT_A_YEAR")
        if birth and not (1900 <= int(birth) <= min(assessed_on.year, self.as_of.year)):
            raise _RowRejected("BirthYear", f"{birth} is before 1900 or after the assessment", "BIRTH_YEAR_OUT_OF_RANGE")
        psychosis, settled = _flag(row, "PsychosisHistory"), _flag(row, "SettledAccommodation")
        accommodation_on = _date(row, "AccommodationRecordedOn", required=False)
        _not_after(accommodation_on, self.as_of, "AccommodationRecordedOn")
        if self.providers is not None and row.get("OrgIDProv", "") not in self.providers:
            raise _RowRejected("OrgIDProv", "not one of the organisations you may import for", "OUT_OF_SCOPE")
        provider_id = self.org(row.get("OrgIDProv", ""), "provider", "OrgIDProv")
        person = self.snap.people.get(pseudo)
        new_person = person is None
        if new_person:
            if nhs in self.snap.nhs_held:
                raise _RowRejected("NHSNumber", "already held for a different LocalPatientId", "NHS_NUMBER_HELD")
            su_id = self.snap.add("service_users", dict(
                pseudo_id=pseudo, nhs_number=nhs, birth_year=int(birth) if birth else None, psychosis_history=psychosis,
                settled_accommodation=settled, accommodation_recorded_on=accommodation_on))
        elif person[1] != nhs:
            raise _RowRejected("NHSNumber", f"does not match the NHS number held for {pseudo}", "NHS_NUMBER_MISMATCH")
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
                raise _RowRejected(diff[0], f"ClustId {cid} is already stored with a different {diff[0]}", "CONFLICTS_WITH_STORED")
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
            raise _RowRejected("ClustId", f"no MHS801 assessment {cid} (in this import or stored)", "NO_ASSESSMENT")
        start, end = _date(row, "StartDateCareClust"), _date(row, "EndDateCareClust", required=False)
        _not_after(start, self.as_of, "StartDateCareClust")
        _not_after(end, self.as_of, "EndDateCareClust")
        if start < a["assessed_on"]:
            raise _RowRejected("StartDateCareClust", "before the assessment date", "BEFORE_ASSESSMENT")
        if end is not None and end < start:
            raise _RowRejected("EndDateCareClust", "before StartDateCareClust", "END_BEFORE_START")
        try:
            chosen = cluster_code(row.get("AMHCareClustCodeFin", ""))
        except ValueError:
            raise _RowRejected("AMHCareClustCodeFin", f"{show(row.get('AMHCareClustCodeFin', ''))} is not a cluster code",
                               "NOT_A_CLUSTER") from None
        if chosen == "09":
            raise _RowRejected("AMHCareClustCodeFin", "cluster 09 is never allocated", "CLUSTER_09")
        suggested = None
        if row.get("SuggestedCluster"):
            try:
                suggested = cluster_code(row["SuggestedCluster"])
            except ValueError:
                raise _RowRejected("SuggestedCluster", f"{show(row['SuggestedCluster'])} is not a cluster code",
                                   "NOT_A_CLUSTER") from None
        fit = None
        if row.get("Fit"):
            try:
                fit = float(row["Fit"])
                assert 0 <= fit <= 1
            except (ValueError, AssertionError):
                raise _RowRejected("Fit", f"{show(row['Fit'])} is not a number between 0 and 1", "NOT_A_FIT") from None
        override = row.get("OverrideReason") or None
        if suggested is not None and suggested != chosen and not override:
            raise _RowRejected("OverrideReason", f"chosen {chosen} differs from suggested {suggested}: a reason is required",
                               "REASON_REQUIRED")
        end_reason = row.get("EndReason") or None
        if end_reason not in (None, "review", "transition", "discharge"):
            raise _RowRejected("EndReason", f"{show(end_reason)} is not review, transition or discharge", "NOT_AN_END_REASON")
        commissioner_id = self.org(row.get("OrgIDComm", ""), "commissioner", "OrgIDComm")
        provider_id = self.snap.team_provider.get(a["team_id"]) if a["team_id"] else None
        if provider_id is None:
            raise _RowRejected("ClustId", "assessment has no team, so the provider is unknown", "NO_PROVIDER")
        values = dict(service_user_id=a["service_user_id"], provider_id=provider_id, commissioner_id=commissioner_id,
                      team_id=a["team_id"], suggested_cluster=suggested, fit=fit, chosen_cluster=chosen,
                      chosen_by=_need(row, "ChosenBy"), override_reason=override,
                      transition_reason=row.get("TransitionReason") or None,
                      red_rule_breach=row.get("RedRuleBreach", "").upper() == "Y", review_due=self._review_due(start, chosen),
                      result_code=row.get("ResultCode") or None, red_rules=row.get("RedRules") or None,
                      profile_ref=row.get("ProfileRef") or None)
        self._discharge_reason = row.get("DischargeReason") or None
        stored = self.snap.periods.get((a["id"], start))
        if stored is not None:
            diff = [k for k, v in values.items() if stored[k] != v]
            if diff:
                raise _RowRejected(diff[0], f"cluster period for ClustId {cid} is already stored with a different {diff[0]}",
                                   "CONFLICTS_WITH_STORED")
            if stored["end_on"] == end:
                self.report.unchanged["MHS803"] += 1
                return
            if stored["end_on"] is not None:
                raise _RowRejected("EndDateCareClust", f"period already ended on {stored['end_on']}", "ALREADY_ENDED")
            self.snap.close_period(stored, end)
            self.report.updated["MHS803"] += 1
            self._after_end(stored, end_reason, cid)
            return
        for q in self.snap.periods_of.get(a["service_user_id"], ()):
            if q["start_on"] < (end or date.max) and (q["end_on"] is None or q["end_on"] > start):
                raise _RowRejected("StartDateCareClust", "overlaps another cluster period for this person", "OVERLAPS")
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
                                             from_cluster=p["chosen_cluster"], reason=self._discharge_reason))
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


def import_mhsds(db: Engine | str | None, folder: str | Path, *, as_of: date, actor: str = "import",
                 providers: frozenset[str] | None = None) -> ImportReport:
    """Load MHS801.csv, MHS802.csv and MHS803.csv from ``folder`` (see module rules).

    ``as_of`` is the day the files describe: anything dated after it is rejected.
    ``providers`` limits the import to rows of those providers (None: all).
    """
    folder = Path(folder)
    files = {n: _read(folder / f"{n}.csv", n, as_of) for n in FILES}
    rows = {n: f.rows for n, f in files.items()}
    report = ImportReport(errors=[e for f in files.values() for e in f.rejects],
                          warnings=[w for f in files.values() for w in f.warnings])
    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        with engine.begin() as conn:
            nhs = _nhs_numbers(rows["MHS801"])
            snap = Snapshot(conn, **_keys(rows, nhs))
            plan = _Plan(snap, report, actor, nhs, as_of, providers)
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
    except (OpenPbRError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise _import_error(exc) from exc
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
    report.errors.sort(key=lambda e: (e.file, e.line))
    return report


def _import_error(exc: Exception) -> OpenPbRError:
    """One line for a failure of the whole import, naming no value (a driver's text can quote an NHS number)."""
    nothing = "the import was rolled back and nothing was written"
    if isinstance(exc, (StaleRow, IntegrityError)) or (isinstance(exc, OperationalError) and _busy(exc)):
        return ConflictError(f"another import or change saved some of the same records while this import ran; {nothing}. "
                             "Run the import again: rows now stored are skipped")
    if isinstance(exc, DBAPIError):
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        return DatabaseError(f"the database refused the import ({kind}); {nothing}")
    return ImportFailed(f"{nothing} ({exc.__class__.__name__})")


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else ""
    return is_stale_snapshot(exc) or "locked" in text or "busy" in text or "deadlock" in text or "serializ" in text


EXPORT_NOTE = "contains NHS numbers: handle as personal data"


def export_mhsds(db: Engine | str | None, folder: str | Path, *, start: date | None = None, end: date | None = None,
                 providers: frozenset[str] | None = None) -> dict[str, int]:
    """Write MHS801/802/803 CSVs for assessments completed in ``[start, end]`` (all when omitted).

    ``providers`` limits the export to assessments by those providers' teams
    (None: every provider). Each file is written to a temporary name and renamed
    when complete, so an interrupted export leaves no half-written file.
    """
    folder = Path(folder)
    clusters = builtin_dataset("clusters")
    engine = db if isinstance(db, Engine) else make_engine(db)
    a, su, cp = Assessment, ServiceUser, ClusterPeriod
    counts = {n: 0 for n in FILES}
    try:
        with engine.connect() as conn:
            q = (select(a, su.pseudo_id, su.nhs_number, su.birth_year, su.psychosis_history, su.settled_accommodation,
                        su.accommodation_recorded_on, Team.code, Organisation.ods_code)
                 .join(su, su.id == a.service_user_id).outerjoin(Team, Team.id == a.team_id)
                 .outerjoin(Organisation, Organisation.id == Team.provider_id).order_by(a.id))
            comm = Organisation.__table__.alias("comm")
            pq = (select(cp.__table__, a.clust_id, comm.c.ods_code.label("comm_ods"), Discharge.id.label("discharge_id"),
                         Discharge.reason.label("discharge_reason"), Review.outcome.label("review_outcome"))
                  .join(a, a.id == cp.assessment_id).join(comm, comm.c.id == cp.commissioner_id)
                  .outerjoin(Discharge, Discharge.cluster_period_id == cp.id)
                  .outerjoin(Review, Review.cluster_period_id == cp.id).order_by(cp.id))
            if start:
                q, pq = q.where(a.assessed_on >= start), pq.where(a.assessed_on >= start)
            if end:
                q, pq = q.where(a.assessed_on <= end), pq.where(a.assessed_on <= end)
            if providers is not None:
                team_ids = select(Team.id).join(Organisation, Organisation.id == Team.provider_id).where(
                    Organisation.ods_code.in_(sorted(providers)))
                q, pq = q.where(a.team_id.in_(team_ids)), pq.where(a.team_id.in_(team_ids))
            periods = defaultdict(list)
            for p in conn.execute(pq):
                periods[p.clust_id].append(p)
            with atomic_path(folder / "MHS801.csv") as t1, atomic_path(folder / "MHS802.csv") as t2, \
                    atomic_path(folder / "MHS803.csv") as t3, t1.open("w", newline="", encoding="utf-8") as f1, \
                    t2.open("w", newline="", encoding="utf-8") as f2, t3.open("w", newline="", encoding="utf-8") as f3:
                w1, w2, w3 = (_SafeWriter(f) for f in (f1, f2, f3))
                w1.writerow(MHS801), w2.writerow(MHS802), w3.writerow(MHS803)
                for r in conn.execute(q):
                    ps = periods.get(r.clust_id, [])
                    init = ps[0].suggested_cluster if ps else None
                    sc = clusters.resolve(init, r.assessed_on).value["super_class"] if init else None
                    w1.writerow((r.clust_id, r.pseudo_id, r.nhs_number, r.birth_year or "", r.ods_code or "", r.code or "",
                                 r.assessor, r.assessed_on.isoformat(), r.clust_cat, r.reason, sc or "", init or "",
                                 _yn(r.psychosis_history), _yn(r.settled_accommodation),
                                 r.accommodation_recorded_on.isoformat() if r.accommodation_recorded_on else ""))
                    counts["MHS801"] += 1
                    for item in ITEM_COLUMNS:
                        w2.writerow((r.clust_id, item, getattr(r, item), r.item_08_type or "" if item == "item_08" else ""))
                        counts["MHS802"] += 1
                    for p in ps:
                        w3.writerow((r.clust_id, p.start_on.isoformat(), p.end_on.isoformat() if p.end_on else "",
                                     p.chosen_cluster, p.comm_ods, p.suggested_cluster or "",
                                     "" if p.fit is None else repr(float(p.fit)), "Y" if p.red_rule_breach else "N",
                                     p.chosen_by, p.override_reason or "", p.transition_reason or "", _end_reason(p),
                                     p.result_code or "", p.red_rules or "", p.profile_ref or "", p.discharge_reason or ""))
                        counts["MHS803"] += 1
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
    return counts


def _end_reason(p) -> str:
    """How the period ended: a discharge, or a review that confirmed (``review``) or changed (``transition``) the cluster."""
    if p.discharge_id:
        return "discharge"
    if p.review_outcome is not None:
        return "review" if p.review_outcome == "confirmed" else "transition"
    return ""


def _yn(flag: bool | None) -> str:
    return "" if flag is None else "Y" if flag else "N"


class _SafeWriter:
    """csv.writer whose text cells are made Excel-safe (see :mod:`openpbr.io.safe`)."""

    def __init__(self, fh):
        import csv

        self._w = csv.writer(fh, lineterminator="\n")

    def writerow(self, row) -> None:
        self._w.writerow([excel_safe(v) for v in row])
