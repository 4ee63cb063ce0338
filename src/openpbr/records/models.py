"""Care record tables.

Least personal data: a service user is an NHS number (checksum-validated), a
pseudonymous id used everywhere else (logs, console, exports), and a year of
birth. No names, addresses or dates of birth.

MHCT ratings are stored wide (18 small-int columns plus item_08_type on the
assessment row): about 20x fewer rows than one row per item. MHS802 export
turns them long.

Rows two clinicians can edit at once carry a ``version`` column used by
SQLAlchemy as an optimistic lock (see ``openpbr.db.ConflictError``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from openpbr.clustering.ratings import ITEM_CODES

from openpbr.db import Base
from openpbr.records.nhs import normalise_nhs_number

ITEM_COLUMNS: tuple[str, ...] = ITEM_CODES  # the 18 MHCT ratings, stored wide under their item codes
ASSESSMENT_REASONS = ("initial", "review", "transition", "discharge")
ORG_ROLES = ("provider", "commissioner")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    __table_args__ = (CheckConstraint(_in("role", ORG_ROLES), name="role"),)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


class ServiceUser(Base):
    __tablename__ = "service_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudo_id: Mapped[str] = mapped_column(String(20), unique=True)  # LocalPatientId; safe to log
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    psychosis_history: Mapped[bool | None] = mapped_column(Boolean)
    settled_accommodation: Mapped[bool | None] = mapped_column(Boolean)  # ACC54 input, if recorded
    accommodation_recorded_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("length(nhs_number) = 10", name="nhs_number_length"),)

    @validates("nhs_number")
    def _valid_nhs_number(self, _key: str, value: str) -> str:
        return normalise_nhs_number(value)


class Referral(Base):
    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    received_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class Assessment(Base):
    """One MHCT assessment (MHS801 row) with its 18 ratings (MHS802, stored wide)."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clust_id: Mapped[str] = mapped_column(String(40), unique=True)  # MHS801 ClustId
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assessor: Mapped[str] = mapped_column(String(40))  # staff code, not a name
    assessed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(12))
    clust_cat: Mapped[str] = mapped_column(String(2), server_default="01")
    item_08_type: Mapped[str | None] = mapped_column(String(1))
    item_01: Mapped[int] = mapped_column(SmallInteger)
    item_02: Mapped[int] = mapped_column(SmallInteger)
    item_03: Mapped[int] = mapped_column(SmallInteger)
    item_04: Mapped[int] = mapped_column(SmallInteger)
    item_05: Mapped[int] = mapped_column(SmallInteger)
    item_06: Mapped[int] = mapped_column(SmallInteger)
    item_07: Mapped[int] = mapped_column(SmallInteger)
    item_08: Mapped[int] = mapped_column(SmallInteger)
    item_09: Mapped[int] = mapped_column(SmallInteger)
    item_10: Mapped[int] = mapped_column(SmallInteger)
    item_11: Mapped[int] = mapped_column(SmallInteger)
    item_12: Mapped[int] = mapped_column(SmallInteger)
    item_13: Mapped[int] = mapped_column(SmallInteger)
    hist_a: Mapped[int] = mapped_column(SmallInteger)
    hist_b: Mapped[int] = mapped_column(SmallInteger)
    hist_c: Mapped[int] = mapped_column(SmallInteger)
    hist_d: Mapped[int] = mapped_column(SmallInteger)
    hist_e: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (
        CheckConstraint(_in("reason", ASSESSMENT_REASONS), name="reason"),
        *(CheckConstraint(f"{c} IN (0, 1, 2, 3, 4, 9)", name=f"{c}_rating") for c in ITEM_COLUMNS),
        Index("ix_assessments_assessed_on", "assessed_on"),
    )

    def ratings(self) -> tuple[int, ...]:
        return tuple(getattr(self, c) for c in ITEM_COLUMNS)


class ClusterPeriod(Base):
    """Time spent in one cluster (MHS803 row). ``end_on`` is null while open.

    Days in cluster are ``end_on - start_on``: the end date is the start of the
    next period, so days are never counted twice.
    """

    __tablename__ = "cluster_periods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    suggested_cluster: Mapped[str | None] = mapped_column(String(2))
    fit: Mapped[float | None] = mapped_column(Float)
    result_code: Mapped[str | None] = mapped_column(String(24))
    red_rules: Mapped[str | None] = mapped_column(Text)  # red rules the chosen cluster breaks, ";"-joined
    red_rule_breach: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    chosen_cluster: Mapped[str] = mapped_column(String(2))
    chosen_by: Mapped[str] = mapped_column(String(40))
    override_reason: Mapped[str | None] = mapped_column(Text)
    transition_reason: Mapped[str | None] = mapped_column(Text)  # for moves outside the transition rules
    profile_ref: Mapped[str | None] = mapped_column(String(120))
    review_due: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="end_after_start"),
        CheckConstraint("chosen_cluster <> '09'", name="not_09"),
        UniqueConstraint("assessment_id", "start_on"),
        Index("ix_cluster_periods_person_start", "service_user_id", "start_on"),
        Index("ix_cluster_periods_provider_dates", "provider_id", "start_on", "end_on"),
        # At most one open period per person: a second concurrent allocation fails here.
        Index(
            "uq_cluster_periods_one_open",
            "service_user_id",
            unique=True,
            sqlite_where=text("end_on IS NULL"),
            postgresql_where=text("end_on IS NULL"),
        ),
    )


class Review(Base):
    """A cluster review: due date from the period, the date it happened, who did it."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_period_id: Mapped[int] = mapped_column(ForeignKey("cluster_periods.id"), unique=True)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    due_on: Mapped[date] = mapped_column(Date)
    reviewed_on: Mapped[date] = mapped_column(Date, index=True)
    reviewed_by: Mapped[str] = mapped_column(String(40))
    late: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(12))  # confirmed | changed | discharged
    __table_args__ = (CheckConstraint(_in("outcome", ("confirmed", "changed", "discharged")), name="outcome"),)


class Discharge(Base):
    __tablename__ = "discharges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"), index=True)
    cluster_period_id: Mapped[int] = mapped_column(ForeignKey("cluster_periods.id"), unique=True)
    discharged_on: Mapped[date] = mapped_column(Date, index=True)
    discharged_by: Mapped[str] = mapped_column(String(40))
    from_cluster: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str | None] = mapped_column(Text)


class CarePackageAssignment(Base):
    """The care package a period's cluster implies, pinned to the dataset version in force."""

    __tablename__ = "care_package_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("service_users.id"), index=True)
    cluster_period_id: Mapped[int] = mapped_column(ForeignKey("cluster_periods.id"), unique=True)
    package_key: Mapped[str] = mapped_column(String(40))
    package_ref: Mapped[str] = mapped_column(String(120))  # dataset@version#checksum
    cost_per_cluster_day: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # expected cost, GBP
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)


class ReferenceDatasetLoad(Base):
    """Which reference dataset versions this database has seen (changes are audited)."""

    __tablename__ = "reference_dataset_loads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    checksum: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("dataset", "checksum"),)


class AuditEntry(Base):
    """Append-only, hash-chained audit log. See ``openpbr.records.audit``.

    ``prev_hash`` is unique, so the chain can never fork: two writers racing
    for the same predecessor cannot both commit.
    """

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, pseudonymous ids only
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest audit entry's sequence number and hash, moved forward by a trigger on every append.

    Its own triggers refuse moving it back, deleting or truncating it, so
    ``verify`` can tell a truncated or shortened chain from an intact one.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# Relationships used by the process service (kept light: reads go through Core).
ClusterPeriod.assessment = relationship(Assessment, lazy="joined", viewonly=True)
