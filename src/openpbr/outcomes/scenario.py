"""Hand-built scenarios: a few named episodes with explicit dates and ratings.

For spec tests and worked examples in the docs, where every number must be
checkable by hand. (The seeded synthetic trust lives in synthetic.py.)
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.outcomes.inputs import OutcomeInputs


def _d(x) -> date | None:
    return None if x is None else (x if isinstance(x, date) else date.fromisoformat(x))


def spread(total: int, nines: int = 0) -> list[int]:
    """12 HoNOS ratings summing to ``total`` over the known items, with ``nines`` leading 9s."""
    known = 12 - nines
    if not 0 <= total <= 4 * known:
        raise ValueError("total out of range for the known items")
    base, extra = divmod(total, known)
    vals = [base + (1 if i < extra else 0) for i in range(known)]
    return [9] * nines + vals


class Scenario:
    def __init__(self) -> None:
        self.episodes: list[dict] = []
        self.periods: list[dict] = []
        self.assessments: list[dict] = []
        self.accommodation: list[dict] = []

    def episode(self, referred, discharged=None, provider="P1", team="P1-T1", commissioner="C1", accepted=True, person=None) -> int:
        eid = len(self.episodes) + 1
        self.episodes.append({"episode_id": eid, "person_id": person or 1000 + eid, "provider": provider, "team": team,
                              "commissioner": commissioner, "referred_on": _d(referred), "discharged_on": _d(discharged),
                              "accepted": accepted})
        return eid

    def person(self, episode_id: int) -> int:
        return self.episodes[episode_id - 1]["person_id"]

    def period(self, episode_id, cluster, start, end=None, breach=None, fit=None, assessment_id=None) -> int:
        pid = len(self.periods) + 1
        self.periods.append({"period_id": pid, "episode_id": episode_id, "cluster": cluster, "start": _d(start), "end": _d(end),
                             "assessment_id": assessment_id, "red_rule_breach": breach, "fit": fit})
        return pid

    def assess(self, episode_id, on, honos: list[int] | int, item_13=0, hist=0, swemwbs=None, reqol=None) -> int:
        aid = len(self.assessments) + 1
        items = spread(honos) if isinstance(honos, int) else list(honos)
        row = {"assessment_id": aid, "episode_id": episode_id, "assessed_on": _d(on)}
        for c, v in zip(ITEM_CODES, items + [item_13] + [hist] * 5):
            row[c] = v
        row["swemwbs"], row["reqol"] = swemwbs, reqol
        self.assessments.append(row)
        return aid

    def accommodation_status(self, episode_id, on, settled: bool) -> None:
        self.accommodation.append({"person_id": self.person(episode_id), "recorded_on": _d(on), "settled": settled})

    def build(self) -> OutcomeInputs:
        def table(rows, schema):
            return pa.Table.from_pylist(rows, schema=pa.schema(schema))

        ep = table(self.episodes, [("episode_id", pa.int64()), ("person_id", pa.int64()), ("provider", pa.string()), ("team", pa.string()),
                                   ("commissioner", pa.string()), ("referred_on", pa.date32()), ("discharged_on", pa.date32()), ("accepted", pa.bool_())])
        pe = table(self.periods, [("period_id", pa.int64()), ("episode_id", pa.int64()), ("cluster", pa.string()), ("start", pa.date32()),
                                  ("end", pa.date32()), ("assessment_id", pa.int64()), ("red_rule_breach", pa.bool_()), ("fit", pa.float64())])
        asch = [("assessment_id", pa.int64()), ("episode_id", pa.int64()), ("assessed_on", pa.date32()),
                *((c, pa.int8()) for c in ITEM_CODES), ("swemwbs", pa.float64()), ("reqol", pa.float64())]
        a = table(self.assessments, asch)
        ac = table(self.accommodation, [("person_id", pa.int64()), ("recorded_on", pa.date32()), ("settled", pa.bool_())])
        return OutcomeInputs.build(ep, pe, a, ac, source="scenario")
