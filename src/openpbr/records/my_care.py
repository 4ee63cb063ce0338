"""A service user's own view: my cluster, my care package, my next review, what my care costs.

Plain words, no clinical codes without their names, and every figure marked
provisional when the data behind it is. Only the person's pseudonymous id is
needed to look it up; nothing here is written to logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openpbr.records.careplans import CarePackage, package_for
from openpbr.records.models import CarePackageAssignment, ClusterPeriod, ServiceUser
from openpbr.reference import builtin_dataset


@dataclass(frozen=True)
class PastCluster:
    cluster: str
    name: str
    start_on: date
    end_on: date | None
    periods: int = 1  # back-to-back periods in the same cluster (each review opens a new one)


def _merge(history: list[PastCluster]) -> tuple[PastCluster, ...]:
    """A person thinks in stays in a cluster, not in review periods: join back-to-back ones."""
    out: list[PastCluster] = []
    for h in history:
        last = out[-1] if out else None
        if last and last.cluster == h.cluster and last.end_on == h.start_on:
            out[-1] = PastCluster(h.cluster, h.name, last.start_on, h.end_on, last.periods + 1)
        else:
            out.append(h)
    return tuple(out)


@dataclass(frozen=True)
class MyCare:
    person: str
    as_of: date
    cluster: str | None  # None: not in a cluster (never clustered, or discharged)
    cluster_name: str | None
    since: date | None
    review_due: date | None
    package: CarePackage | None
    cost_per_day: Decimal | None
    cost_so_far: Decimal | None  # this cluster period, up to and including as_of
    cost_to_review: Decimal | None  # the whole period, start to review due
    history: tuple[PastCluster, ...]

    @property
    def days_to_review(self) -> int | None:
        return None if self.review_due is None else (self.review_due - self.as_of).days


class UnknownPerson(LookupError):
    pass


def my_care(session: Session, person: str, as_of: date) -> MyCare:
    su = session.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == person))
    if su is None:
        raise UnknownPerson(f"no service user {person!r}")
    periods = session.scalars(
        select(ClusterPeriod).where(ClusterPeriod.service_user_id == su.id, ClusterPeriod.start_on <= as_of).order_by(ClusterPeriod.start_on)
    ).all()
    names = builtin_dataset("clusters")
    history = _merge([PastCluster(p.chosen_cluster, names.resolve(p.chosen_cluster, p.start_on).value["name"], p.start_on, p.end_on) for p in periods])
    current = next((p for p in reversed(periods) if p.end_on is None or p.end_on > as_of), None)
    if current is None:
        return MyCare(person, as_of, None, None, None, None, None, None, None, None, history)
    assignment = session.scalar(select(CarePackageAssignment).where(CarePackageAssignment.cluster_period_id == current.id))
    package = package_for(current.chosen_cluster, current.start_on)
    per_day = assignment.cost_per_cluster_day if assignment and assignment.cost_per_cluster_day is not None else package.cost_per_cluster_day
    so_far = per_day * ((as_of - current.start_on).days + 1)
    to_review = per_day * (current.review_due - current.start_on).days if current.review_due else None
    return MyCare(
        person=person,
        as_of=as_of,
        cluster=current.chosen_cluster,
        cluster_name=names.resolve(current.chosen_cluster, current.start_on).value["name"],
        since=current.start_on,
        review_due=current.review_due,
        package=package,
        cost_per_day=per_day,
        cost_so_far=so_far,
        cost_to_review=to_review,
        history=history,
    )
