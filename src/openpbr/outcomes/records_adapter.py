"""Read OutcomeInputs from the records database through openpbr.records.extract.

Mapping (the extract has people, cluster periods, assessments and discharges,
but no referral read, so episodes are derived):

- episode = a person's consecutive cluster periods with one provider, ended
  by a discharge or by a move to another provider. referred_on = the first
  period's start (time waiting to be clustered is not visible here);
  discharged_on = the discharge date.
- provider / team / commissioner = those of the episode's first period.
- an assessment belongs to the person's episode in force on its date (the
  latest episode starting on or before it); earlier ones are ignored.
- accommodation = the latest settled-accommodation status per person as of
  ``end`` (the extract keeps no history, so earlier months use it only from
  its recorded date onwards).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.outcomes.inputs import OutcomeInputs, column, days
from openpbr.outcomes.keys import day_key

EARLIEST = date(1990, 1, 1)


def read_inputs(db, start: date, end: date) -> OutcomeInputs:
    from openpbr.records import extract  # imported here: the records package is optional for array users

    periods = extract.cluster_periods(db, EARLIEST, end)
    ass = extract.assessments(db, EARLIEST, end)
    dis = extract.discharges(db, EARLIEST, end)
    acc = extract.settled_accommodation(db, end)
    return from_extracts(periods, ass, dis, acc, source=f"records-db:{start.isoformat()}..{end.isoformat()}")


def from_extracts(periods: pa.Table, ass: pa.Table, dis: pa.Table, acc: pa.Table, source: str = "records-extract") -> OutcomeInputs:
    people = np.unique(np.concatenate([column(periods, "person").astype(str), column(ass, "person").astype(str),
                                       column(acc, "person").astype(str)]))
    pcode = lambda t: np.searchsorted(people, column(t, "person").astype(str)).astype(np.int64)  # noqa: E731

    # episodes from periods, in (person, start) order
    p_person = pcode(periods)
    p_start = days(periods.column("start_on"))
    p_end = days(periods.column("end_on"))
    provider = column(periods, "provider", "").astype(str)
    order = np.lexsort((column(periods, "period_id"), p_start, p_person))
    d_key = set(zip(column(dis, "person").astype(str), days(dis.column("period_start_on")).tolist()))
    person_s = p_person[order]
    discharged_here = np.array([(people[pp], int(s)) in d_key for pp, s in zip(person_s, p_start[order])], bool)
    new_ep = np.ones(len(order), bool)
    if len(order):
        same_person = person_s[1:] == person_s[:-1]
        same_provider = provider[order][1:] == provider[order][:-1]
        new_ep[1:] = ~(same_person & same_provider & ~discharged_here[:-1])
    ep_of_sorted = np.cumsum(new_ep) - 1
    episode = np.empty(len(order), np.int64)
    episode[order] = ep_of_sorted + 1
    first = order[new_ep]
    last_sorted = np.append(np.nonzero(new_ep)[0][1:] - 1, len(order) - 1) if len(order) else np.zeros(0, int)
    last = order[last_sorted]
    closed = discharged_here[last_sorted] if len(order) else np.zeros(0, bool)
    ep_ids = np.arange(1, len(first) + 1, dtype=np.int64)
    team = column(periods, "team", "unknown").astype(str)
    episodes = pa.table({
        "episode_id": ep_ids, "person_id": p_person[first],
        "provider": provider[first], "team": np.where(team[first] == "", "unknown", team[first]),
        "commissioner": column(periods, "commissioner", "").astype(str)[first],
        "referred_on": pa.array(p_start[first].astype("datetime64[D]")),
        "discharged_on": pa.array(np.where(closed, p_end[last], 0).astype("datetime64[D]"), mask=~closed),
    })

    clust_ids = column(ass, "clust_id").astype(str)
    cid_sorted = np.argsort(clust_ids)
    want = column(periods, "clust_id").astype(str)
    pos = np.minimum(np.searchsorted(clust_ids[cid_sorted], want), max(len(clust_ids) - 1, 0))
    hit = (clust_ids[cid_sorted][pos] == want) if len(clust_ids) else np.zeros(len(want), bool)
    cluster_periods = pa.table({
        "period_id": column(periods, "period_id"), "episode_id": episode,
        "cluster": periods.column("cluster"), "start": periods.column("start_on"), "end": periods.column("end_on"),
        "assessment_id": pa.array(np.where(hit, cid_sorted[pos] + 1, 0), mask=~hit),
        "red_rule_breach": periods.column("red_rule_breach"), "fit": periods.column("fit"),
    })

    # assessment -> the person's episode that started on or before it
    a_person, a_day = pcode(ass), days(ass.column("assessed_on"))
    e_person, e_start = p_person[first], p_start[first]
    eo = np.lexsort((e_start, e_person))
    keys = day_key(e_person[eo], e_start[eo])
    idx = np.searchsorted(keys, day_key(a_person, a_day), side="right") - 1
    ok = (idx >= 0) & (e_person[eo][np.maximum(idx, 0)] == a_person) if len(eo) else np.zeros(len(a_day), bool)
    ass_cols = {"assessment_id": np.arange(1, ass.num_rows + 1, dtype=np.int64),
                "episode_id": np.where(ok, ep_ids[eo][np.maximum(idx, 0)] if len(eo) else 0, -1),
                "assessed_on": ass.column("assessed_on")}
    for c in ITEM_CODES:
        ass_cols[c] = ass.column(c)
    assessments = pa.table(ass_cols).filter(pc.greater(pa.array(ass_cols["episode_id"]), 0))

    accommodation = pa.table({
        "person_id": pcode(acc), "recorded_on": acc.column("recorded_on"), "settled": acc.column("settled_accommodation"),
    })
    return OutcomeInputs.build(episodes, cluster_periods, assessments, accommodation, source=source)
