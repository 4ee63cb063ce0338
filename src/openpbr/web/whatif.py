"""What-if for the pages: one provider and commissioner's last three months under each payment model (estimates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from openpbr.payment.whatif import SCENARIOS, compare_models


@dataclass
class WhatIf:
    provider: str
    commissioner: str
    start: date
    end: date  # inclusive
    scenarios: list[str]
    rows: list[dict]

    def totals(self) -> dict[str, int]:
        return {s: sum(r[s] for r in self.rows) for s in self.scenarios}


def compare(session: Session, provider: str, commissioner: str, on: date, block: str, rate: str,
            months: int = 3) -> WhatIf:
    from openpbr.payment.records_source import bundle_from_records

    end = on.replace(day=1)  # the months before the page date's month
    start = end
    for _ in range(months):
        start = (start - timedelta(days=1)).replace(day=1)
    bundle = bundle_from_records(session.get_bind(), start, end)
    rows = compare_models(bundle, provider, commissioner, start, end, block, rate)
    return WhatIf(provider, commissioner, start, end - timedelta(days=1), list(SCENARIOS), rows)
