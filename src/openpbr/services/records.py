"""Care records use cases: register, assess and decide, discharge, worklist, month, my-care, MHSDS, audit.

Each function takes a session (or engine, where the domain code streams with
Core), the acting user's :class:`~openpbr.access.Scope` and, where time
matters, an explicit ``as_of``; it returns typed results and raises
:class:`~openpbr.errors.OpenPbRError` subclasses. Reads are filtered by scope:
staff see people with a cluster period (or referral) at one of their
organisations, a service user only themself, and an empty scope nothing.
Audit entries name ``scope.actor``.

Writes run inside :func:`transaction`, which turns a concurrent change into a
:class:`~openpbr.errors.ConflictError` on both backends (PostgreSQL's
optimistic-lock miss, SQLite's busy or stale-snapshot error) so the loser
gets one clear line and nothing is saved.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from openpbr.access import PSEUDONYMISED, Role, Scope, require
from openpbr.db import is_stale_snapshot, is_unique_violation, make_engine
from openpbr.errors import AccessDenied, ConflictError, DatabaseError, InputError, NotFound
from openpbr.records import audit, process
from openpbr.records.mhsds import ImportReport, export_mhsds, import_mhsds
from openpbr.records.models import ClusterPeriod, Organisation, Referral, ServiceUser, Team
from openpbr.records.month import MonthReport, month_bounds, run_month
from openpbr.records.my_care import MyCare, my_care as _my_care
from openpbr.records.nhs import InvalidNHSNumber, normalise_nhs_number
from openpbr.records.worklist import review_worklist, summarise

BUSY = ("someone else was saving to the database at the same moment; nothing was saved; try again")


# -- transactions ------------------------------------------------------------------------------------------------

def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else ""
    return is_stale_snapshot(exc) or "database is locked" in text or "busy" in text or "deadlock" in text


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error; concurrent changes become ConflictError."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except StaleDataError:
        session.rollback()
        raise ConflictError("someone else changed this record since it was read; nothing was saved; reload and try again") from None
    except OperationalError as exc:
        session.rollback()
        if _is_busy(exc):
            raise ConflictError(BUSY) from None
        raise DatabaseError(f"the database refused the change ({type(exc.orig).__name__}); nothing was saved") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# -- scope -------------------------------------------------------------------------------------------------------

def _visible_people(scope: Scope):
    """Service-user ids the scope may read, as a subquery (None: no restriction)."""
    if scope.all_organisations:
        return None
    if scope.person is not None:
        return select(ServiceUser.id).where(ServiceUser.pseudo_id == scope.person)
    orgs = sorted(scope.organisations)
    prov, comm = aliased(Organisation), aliased(Organisation)
    via_period = (select(ClusterPeriod.service_user_id).join(prov, prov.id == ClusterPeriod.provider_id)
                  .join(comm, comm.id == ClusterPeriod.commissioner_id)
                  .where(or_(prov.ods_code.in_(orgs), comm.ods_code.in_(orgs))))
    rprov, rcomm = aliased(Organisation), aliased(Organisation)
    via_referral = (select(Referral.service_user_id).join(rprov, rprov.id == Referral.provider_id)
                    .join(rcomm, rcomm.id == Referral.commissioner_id)
                    .where(or_(rprov.ods_code.in_(orgs), rcomm.ods_code.in_(orgs))))
    return via_period.union(via_referral)


def _person(session: Session, scope: Scope, pseudo_id: str, *, new_here: str | None = None) -> ServiceUser:
    """The person, if the scope may see them; otherwise NotFound (the same answer as for no such person).

    ``new_here``: a provider in scope may reach a registered person not yet in care anywhere.
    """
    su = session.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == pseudo_id))
    if su is None:
        raise NotFound(f"no service user {pseudo_id}")
    visible = _visible_people(scope)
    if visible is None:
        return su
    if session.scalar(select(ServiceUser.id).where(ServiceUser.id == su.id, ServiceUser.id.in_(visible))) is not None:
        return su
    if new_here and scope.allows_organisation(new_here) and scope.person is None and session.scalar(
            select(ClusterPeriod.id).where(ClusterPeriod.service_user_id == su.id).limit(1)) is None:
        return su
    raise NotFound(f"no service user {pseudo_id}")


def _filter_orgs(table: pa.Table, scope: Scope, columns=("provider", "commissioner")) -> pa.Table:
    if scope.all_organisations:
        return table
    if scope.person is not None:
        return table.filter(pc.equal(table["person"], scope.person)) if "person" in table.column_names else table.slice(0, 0)
    keep = pa.array(sorted(scope.organisations), pa.string())
    mask = None
    for c in columns:
        if c in table.column_names:
            m = pc.fill_null(pc.is_in(table[c], value_set=keep), False)
            mask = m if mask is None else pc.or_(mask, m)
    return table.filter(mask) if mask is not None else table.slice(0, 0)


# -- people ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonRegistered:
    person: str
    birth_year: int | None


def register_person(session: Session, scope: Scope, *, person: str, nhs_number: str, birth_year: int | None,
                    as_of: date, psychosis_history: bool | None = None) -> PersonRegistered:
    """Register a service user under a pseudonymous id. The NHS number is never echoed back or logged."""
    require(scope, "people:register")
    try:
        nhs = normalise_nhs_number(nhs_number)
    except InvalidNHSNumber as exc:
        raise InputError(f"field nhs_number: {exc}", code="INVALID_NHS_NUMBER") from None
    if not person or len(person) > 20:
        raise InputError("field person: a pseudonymous id of 1 to 20 characters is required", code="BAD_PERSON_ID")
    if birth_year is not None and not (1900 <= birth_year <= as_of.year):
        raise InputError(f"field birth_year: {birth_year} is before 1900 or after {as_of.year}",
                         code="BIRTH_YEAR_OUT_OF_RANGE")
    if session.scalar(select(ServiceUser.id).where(ServiceUser.pseudo_id == person)) is not None:
        raise ConflictError(f"{person} is already registered", code="ALREADY_REGISTERED")
    if session.scalar(select(ServiceUser.id).where(ServiceUser.nhs_number == nhs)) is not None:
        raise ConflictError("field nhs_number: this NHS number is already registered under another id",
                            code="NHS_NUMBER_HELD")
    session.add(ServiceUser(pseudo_id=person, nhs_number=nhs, birth_year=birth_year, psychosis_history=psychosis_history))
    try:
        session.flush()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise ConflictError("someone else registered this person at the same moment; nothing was saved") from None
        raise
    audit.record(session, scope.actor, "registration", "service_user", person, birth_year=birth_year, on=as_of)
    return PersonRegistered(person, birth_year)


# -- assess and decide -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodSeen:
    """The open cluster period a clinician had in view when deciding (None id: no open period)."""

    period_id: int | None
    version: int | None = None


@dataclass(frozen=True)
class SuggestionView:
    cluster: str | None
    fit: float | None
    result_code: str
    message: str
    profile_ref: str | None


@dataclass(frozen=True)
class Decision:
    person: str
    clust_id: str
    period_id: int
    suggestion: SuggestionView
    chosen_cluster: str
    overridden: bool
    transition: str
    review_due: date | None
    care_package: str
    care_package_name: str
    closed_period_id: int | None


def open_period_seen(session: Session, scope: Scope, person: str) -> PeriodSeen:
    """What a clinician sees before deciding; pass it back to :func:`assess_and_decide` as ``seen``."""
    require(scope, "records:read")
    su = _person(session, scope, person)
    p = process.open_period(session, su.id)
    return PeriodSeen(None) if p is None else PeriodSeen(p.id, p.version)


def assess_and_decide(
    session: Session, scope: Scope, *, person: str, clust_id: str, assessed_on: date, as_of: date,
    assessor: str, ratings: tuple[int, ...], provider: str, commissioner: str, reason: str = "review",
    team: str | None = None, item_08_type: str | None = None, chosen_cluster: str | None = None,
    override_reason: str | None = None, transition_reason: str | None = None, seen: PeriodSeen | None = None,
) -> Decision:
    """Record an MHCT assessment, suggest a cluster, and confirm or override it (the clustering core decides).

    ``seen`` is the open period the clinician had in view; when omitted, the
    one open at the start of this call. If another decision changed it in the
    meantime, :class:`ConflictError` is raised and nothing is saved.
    """
    require(scope, "assessments:decide")
    if not scope.allows_organisation(provider):
        raise NotFound(f"no provider {provider} in your organisations")
    if assessed_on > as_of:
        raise InputError(f"field assessed_on: {assessed_on.isoformat()} is after {as_of.isoformat()}", code="FUTURE_DATE")
    if len(ratings) != 18:
        raise InputError(f"field ratings: {len(ratings)} given, 18 needed (item_01..item_13, hist_a..hist_e)",
                         code="BAD_RATINGS")
    su = _person(session, scope, person, new_here=provider)
    current = process.open_period(session, su.id)
    if seen is not None and (seen.period_id, seen.version) != ((current.id, current.version) if current else (None, None)):
        raise ConflictError(process.PERIOD_CONFLICT)
    t = session.scalar(select(Team).where(Team.code == team)) if team else None
    if team and t is None:
        raise InputError(f"field team: no team {team}", code="UNKNOWN_TEAM")
    try:
        a = process.record_assessment(session, su, clust_id=clust_id, assessed_on=assessed_on, assessor=assessor,
                                      reason=reason, ratings=tuple(ratings), item_08_type=item_08_type, team=t,
                                      actor=scope.actor)
        r = process.allocate(session, su, a, chosen_by=assessor, provider=provider, commissioner=commissioner, team=t,
                             chosen_cluster=chosen_cluster, override_reason=override_reason,
                             transition_reason=transition_reason, based_on=current, actor=scope.actor)
    except StaleDataError:
        raise ConflictError(process.PERIOD_CONFLICT) from None
    except OperationalError as exc:
        if _is_busy(exc):
            raise ConflictError(process.PERIOD_CONFLICT) from None
        raise
    pkg = process.current_package(session, su)
    s = r.suggestion
    return Decision(
        person=person, clust_id=clust_id, period_id=r.period.id,
        suggestion=SuggestionView(s.cluster, s.fit, s.result_code.value, s.message, s.profile_ref),
        chosen_cluster=r.period.chosen_cluster, overridden=r.overridden, transition=r.transition,
        review_due=r.period.review_due, care_package=pkg.key, care_package_name=pkg.name,
        closed_period_id=r.closed.id if r.closed else None,
    )


@dataclass(frozen=True)
class Discharged:
    person: str
    from_cluster: str
    on: date


def discharge(session: Session, scope: Scope, *, person: str, on: date, as_of: date, by: str,
              reason: str | None = None) -> Discharged:
    require(scope, "assessments:decide")
    if on > as_of:
        raise InputError(f"field on: {on.isoformat()} is after {as_of.isoformat()}", code="FUTURE_DATE")
    su = _person(session, scope, person)
    current = process.open_period(session, su.id)
    if current is not None and not scope.all_organisations:
        prov = session.get(Organisation, current.provider_id)
        if not scope.allows_organisation(prov.ods_code if prov else None):
            raise NotFound(f"no service user {person}")
    try:
        d = process.discharge(session, su, on=on, by=by, reason=reason, actor=scope.actor)
    except StaleDataError:
        raise ConflictError(process.PERIOD_CONFLICT) from None
    return Discharged(person, d.from_cluster, d.discharged_on)


# -- reads -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Worklist:
    as_of: date
    rows: pa.Table  # openpbr.records.worklist.WORKLIST_SCHEMA
    summary: pa.Table  # due and overdue per provider and team


def worklist(engine: Engine, scope: Scope, *, as_of: date, horizon_days: int = 28, provider: str | None = None,
             team: str | None = None) -> Worklist:
    require(scope, "worklist:read")
    if horizon_days < 0:
        raise InputError("field horizon: days ahead must be 0 or more", code="BAD_HORIZON")
    rows = _filter_orgs(review_worklist(engine, as_of, horizon_days=horizon_days, provider=provider, team=team), scope)
    return Worklist(as_of, rows, summarise(rows))


def month_report(engine: Engine, scope: Scope, *, month: str, provider: str | None = None) -> MonthReport:
    require(scope, "records:read")
    try:
        month_bounds(month)
    except ValueError:
        raise InputError(f"{month!r} is not a month: use YYYY-MM, e.g. 2024-03", code="BAD_MONTH") from None
    r = run_month(engine, month, provider=provider)
    if scope.all_organisations:
        return r
    overdue = _filter_orgs(r.overdue, scope)
    return replace(r, allocations=_filter_orgs(r.allocations, scope), reviews=_filter_orgs(r.reviews, scope),
                   discharges=_filter_orgs(r.discharges, scope), overdue=overdue, by_team=summarise(overdue))


def my_care(session: Session, scope: Scope, *, person: str, as_of: date) -> MyCare:
    """A service user's own view; staff in scope may open it too."""
    if scope.role is Role.SERVICE_USER:
        if scope.person != person:
            raise NotFound(f"no service user {person}")
    elif not scope.all_organisations:
        require(scope, "records:read")
    _person(session, scope, person)
    # Every read of a person's record is audited with the real actor (they can see who looked).
    audit.record(session, scope.actor[:40], "read", "service_user", person, what="my care", role=scope.role.value)
    return _my_care(session, person, as_of)


# -- MHSDS and audit ---------------------------------------------------------------------------------------------

def import_records(engine: Engine, scope: Scope, folder: str | Path, *, as_of: date) -> ImportReport:
    """Import MHSDS-shape files (see :mod:`openpbr.records.mhsds`); only the scope's providers' rows are taken."""
    require(scope, "imports:run")
    return import_mhsds(engine, folder, as_of=as_of, actor=scope.actor, providers=scope.organisation_filter())


def export_records(engine: Engine, scope: Scope, folder: str | Path, *, start: date | None = None,
                   end: date | None = None) -> dict[str, int]:
    """MHS801/802/803 files of the scope's providers. They hold NHS numbers: pseudonymised roles may not export."""
    require(scope, "records:read")
    if scope.role in PSEUDONYMISED or scope.role is Role.SERVICE_USER:
        raise AccessDenied("not found")
    if start and end and end < start:
        raise InputError(f"the range {start} to {end} is reversed: the start must come before the end", code="BAD_RANGE")
    return export_mhsds(engine, folder, start=start, end=end, providers=scope.organisation_filter())


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int
    head_hash: str
    first_bad_entry: int | None
    reason: str


def verify_audit(engine: Engine, scope: Scope, *, expect_head: str | None = None) -> AuditCheck:
    require(scope, "audit:read")
    with engine.connect() as conn:
        rep = audit.verify(conn, expect_head=expect_head)
    return AuditCheck(rep.ok, rep.checked, rep.head_hash, rep.first_bad_seq, rep.reason)


def engine_for(url: str | None) -> Engine:
    """An engine for a face that was given a URL (the CLI)."""
    return make_engine(url)
