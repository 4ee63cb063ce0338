"""A provider's income per cluster against the expected cost of its care packages, for one month.

Both sides are estimates, per cluster day: income at the local cluster day
price in force, cost at each period's pinned care package cost. Where the
difference is positive the provider keeps it by giving good care at lower
cost; where it is negative the cluster may be under-priced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openpbr.access import Scope, require
from openpbr.errors import InputError
from openpbr.records.models import CarePackageAssignment, ClusterPeriod, Organisation
from openpbr.web.records import cluster_name


@dataclass(frozen=True)
class IncomeRow:
    cluster: str
    name: str
    days: int
    income: int  # pence
    cost: int  # pence
    unpriced_days: int

    @property
    def difference(self) -> int:
        return self.income - self.cost


@dataclass
class IncomeView:
    month: str
    start: date
    end: date  # inclusive
    rows: list[IncomeRow] = field(default_factory=list)
    price_ref: str = ""

    @property
    def total_income(self) -> int:
        return sum(r.income for r in self.rows)

    @property
    def total_cost(self) -> int:
        return sum(r.cost for r in self.rows)


def _pence(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def income_and_costs(session: Session, scope: Scope, month: str) -> IncomeView:
    from openpbr.payment.prices import load_schedule

    require(scope, "settlement:read")
    try:
        start = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InputError("the month must be YYYY-MM") from None
    end = (start + timedelta(days=32)).replace(day=1)
    cp, pkg = ClusterPeriod, CarePackageAssignment
    stmt = (select(cp.chosen_cluster, cp.start_on, cp.end_on, pkg.cost_per_cluster_day)
            .outerjoin(pkg, pkg.cluster_period_id == cp.id)
            .where(cp.start_on < end, or_(cp.end_on.is_(None), cp.end_on > start)))
    orgs = scope.organisation_filter()
    if orgs is not None:  # a provider's own periods only
        stmt = stmt.where(cp.provider_id.in_(select(Organisation.id).where(Organisation.ods_code.in_(sorted(orgs)),
                                                                            Organisation.role == "provider")))
    schedule = load_schedule("payment_cluster_prices_demo").dataset
    days: dict[str, int] = defaultdict(int)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for c, a, b, per_day in session.execute(stmt):
        n = (min(b or end, end) - max(a, start)).days
        if n <= 0:
            continue
        days[c] += n
        cost[c] += (per_day or Decimal(0)) * n
    rows = []
    for c in sorted(days):
        try:
            price = Decimal(schedule.resolve(c, start).value["per_day"])
            income, unpriced = _pence(price * days[c]), 0
        except (LookupError, KeyError):
            income, unpriced = 0, days[c]
        rows.append(IncomeRow(c, cluster_name(c, start), days[c], income, _pence(cost[c]), unpriced))
    return IncomeView(month, start, end - timedelta(days=1), rows, schedule.ref)
