"""Synthetic demo trust: seeded, reproducible, sized by parameters.

Everything here is invented. NHS numbers are drawn from the 999 range used
for test data and carry a valid mod-11 check digit (verified with the
``nhs-number`` library). MHCT ratings are sampled from the clustering
profile bands of the cluster a person is in, then run through the clustering
engine's ``suggest``; the clinician's choice follows the suggestion except
for a small share of recorded overrides.

The same ``(seed, size)`` always gives the same rows. Rows are loaded with
bulk inserts (COPY on PostgreSQL), one transaction per load.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import nhs_number
import numpy as np
from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session

from openpbr.clustering import ITEM_CODES, Context, load_profiles, review_period, suggest
from openpbr.clustering import Assessment as MHCTAssessment
from openpbr.db import make_engine
from openpbr.records import audit
from openpbr.records.bulk import bulk_insert, reset_sequences
from openpbr.records.careplans import package_for, transition_rules
from openpbr.records.models import (
    ITEM_COLUMNS,
    Assessment,
    CarePackageAssignment,
    ClusterPeriod,
    Discharge,
    Organisation,
    Referral,
    Review,
    ServiceUser,
    Team,
)
from openpbr.records.process import register_reference_data

# Share of people whose first cluster is each code (illustrative caseload mix).
CLUSTER_MIX = {
    "00": 2, "01": 6, "02": 7, "03": 12, "04": 10, "05": 4, "06": 2, "07": 5, "08": 4,
    "10": 4, "11": 7, "12": 7, "13": 4, "14": 2, "15": 1, "16": 2, "17": 2,
    "18": 5, "19": 6, "20": 4, "21": 2,
}  # fmt: skip
POOL = 120  # pre-suggested rating sets per cluster
OVERRIDE_SHARE = 0.06
LATE_SHARE = 0.22
UNEXPECTED_MOVE_SHARE = 0.03


@dataclass(frozen=True)
class TrustSize:
    people: int = 10_000
    years: int = 5
    providers: int = 2
    commissioners: int = 3
    teams_per_provider: int = 6
    start: date = date(2019, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start.year + self.years, self.start.month, self.start.day) - timedelta(days=1)


@dataclass
class GenerateSummary:
    seed: int
    size: TrustSize
    rows: dict[str, int] = field(default_factory=dict)
    digest: str = ""


def synthetic_nhs_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct valid NHS numbers from the 999 test range."""
    stems = 999_000_000 + rng.permutation(1_000_000)[: int(n * 1.15) + 20]
    digits = np.stack([(stems // 10**p) % 10 for p in range(8, -1, -1)], axis=1)
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check[check == 11] = 0
    ok = check != 10  # stems whose check digit would be 10 are never issued
    numbers = [f"{s}{c}" for s, c in zip(stems[ok][:n], check[ok][:n])]
    if len(numbers) < n or not all(nhs_number.is_valid(x) for x in numbers):
        raise RuntimeError("could not generate valid synthetic NHS numbers")
    return numbers


@dataclass(frozen=True)
class PoolEntry:
    ratings: tuple[int, ...]
    item_08_type: str | None
    suggested: str | None
    fit: float | None
    result_code: str
    breach: bool
    red_rules: str | None


@lru_cache(maxsize=8)
def _rating_pools(seed: int, on: date) -> tuple[dict[str, list[PoolEntry]], str]:
    """Per cluster: rating sets sampled from its profile bands, each with its suggestion."""
    rng = np.random.default_rng([seed, 1])
    profiles = load_profiles()
    pools: dict[str, list[PoolEntry]] = {}
    for cluster in CLUSTER_MIX:
        spec = profiles.spec.clusters.get(cluster)
        agree, disagree = [], []
        for _ in range(POOL * 2):
            ratings = []
            for code in ITEM_CODES:
                if spec is None:  # variance: needs not captured by any profile
                    ratings.append(int(rng.integers(0, 5)))
                    continue
                band = spec.item(code)
                roll = rng.random()
                if roll < 0.01:
                    ratings.append(9)
                    continue
                choices = sorted(band.expected if roll < 0.85 else (band.possible or band.expected))
                if band.red is not None:
                    choices = [c for c in choices if c in band.red] or sorted(band.red)
                ratings.append(int(rng.choice(choices)))
            r8 = ratings[7]
            t8 = str(rng.choice(list("ABCDEFGHIJ"))) if r8 not in (0, 9) else None
            psychosis = cluster in ("11", "12", "13", "14", "16", "17")
            ctx = Context(assessed_on=on, psychosis_history=psychosis, age=75 if cluster >= "18" else 40)
            s = suggest(MHCTAssessment(ratings=tuple(ratings), item_08_type=t8, assessment_id="pool", context=ctx))
            breach = cluster in set(s.trace.get("breaches", ()))
            entry = PoolEntry(tuple(ratings), t8, s.cluster, s.fit, s.result_code.value, breach,
                              f"{cluster}:red-range" if breach else None)
            (agree if s.cluster == cluster else disagree).append(entry)
        n_dis = int(round(POOL * OVERRIDE_SHARE))
        chosen = agree[: POOL - n_dis] + disagree[:n_dis]
        pools[cluster] = chosen if chosen else disagree[:POOL]
    return pools, profiles.ref


def _orgs(size: TrustSize):
    orgs, teams = [], []
    kinds = ["Community mental health team", "Early intervention team", "Crisis team", "Memory service",
             "Assertive outreach team", "Psychological therapies"]
    for p in range(size.providers):
        orgs.append((p + 1, f"R{p + 1:02d}", f"Synthetic Mental Health Provider {p + 1}", "provider"))
    for c in range(size.commissioners):
        orgs.append((size.providers + c + 1, f"{c + 1:02d}X", f"Synthetic Commissioner {c + 1}", "commissioner"))
    tid = 0
    for p in range(size.providers):
        for t in range(size.teams_per_provider):
            tid += 1
            teams.append((tid, f"R{p + 1:02d}-T{t + 1:02d}", kinds[t % len(kinds)], p + 1))
    return orgs, teams


def _next_cluster(rng: np.random.Generator, current: str, on: date, rules) -> tuple[str, bool]:
    """Stay, step down, step up or (rarely) move outside the rules; True when outside."""
    v = rules.resolve(current, on).value
    roll = rng.random()
    others = [c for c in CLUSTER_MIX if c not in v["step_up"] and c not in v["step_down"] and c != current]
    if roll < UNEXPECTED_MOVE_SHARE and others:
        return str(rng.choice(others)), True
    if roll < 0.30 and v["step_down"]:
        return str(rng.choice(v["step_down"])), False
    if roll < 0.42 and v["step_up"]:
        return str(rng.choice(v["step_up"])), False
    return current, False


def build_rows(seed: int, size: TrustSize, progress: Callable[[int], None] | None = None) -> dict[str, tuple[Table, list[str], list[tuple]]]:
    """Simulate the trust in memory: table name -> (table, columns, rows)."""
    rng = np.random.default_rng(seed)
    pools, profile_ref = _rating_pools(seed, size.start)
    rules = transition_rules()
    orgs, teams = _orgs(size)
    teams_by_provider = defaultdict(list)
    for t in teams:
        teams_by_provider[t[3]].append(t)
    commissioner_ids = [o[0] for o in orgs if o[3] == "commissioner"]
    codes = list(CLUSTER_MIX)
    weights = np.array(list(CLUSTER_MIX.values()), dtype=float)
    weights /= weights.sum()
    period_cache: dict[str, object] = {}
    packages = {c: package_for(c, size.start) for c in codes}
    horizon = (size.end - size.start).days
    nhs = synthetic_nhs_numbers(rng, size.people)

    people, referrals, assessments, periods, reviews, discharges, packages_rows = [], [], [], [], [], [], []
    aid = pid = 0
    for i in range(size.people):
        person_id = i + 1
        cluster = str(rng.choice(codes, p=weights))
        organic = cluster >= "18"
        birth_year = int(size.start.year - (rng.integers(66, 95) if organic else rng.integers(18, 65)))
        psychosis = cluster in ("11", "12", "13", "14", "16", "17") or (cluster < "10" and rng.random() < 0.03)
        settled = bool(rng.random() < 0.75) if rng.random() < 0.6 else None
        provider = int(rng.integers(1, size.providers + 1))
        team = teams_by_provider[provider][int(rng.integers(0, size.teams_per_provider))]
        commissioner = int(rng.choice(commissioner_ids))
        on = size.start + timedelta(days=int(rng.integers(0, max(horizon - 30, 1))))
        people.append((person_id, f"SU{person_id:07d}", nhs[i], birth_year, psychosis, settled,
                       on + timedelta(days=int(rng.integers(0, 60))) if settled is not None else None, 1))
        referrals.append((person_id, person_id, provider, commissioner, team[0], on - timedelta(days=int(rng.integers(3, 40))), None, 1))
        staff = f"{team[1]}-S{int(rng.integers(1, 9))}"
        reason, previous, outside = "initial", None, False
        while True:
            aid += 1
            entry = pools[cluster][int(rng.integers(0, len(pools[cluster])))]
            assessments.append((aid, f"SYN{aid:09d}", person_id, person_id, team[0], staff, on, reason, "01",
                                entry.item_08_type, *entry.ratings))
            overridden = entry.suggested != cluster or entry.breach
            if cluster not in period_cache:
                period_cache[cluster] = review_period(cluster, size.start)
            due = period_cache[cluster].due(on)
            if previous is not None:
                prev_pid, prev_due, prev_cluster = previous
                periods[-1] = (*periods[-1][:7], on, *periods[-1][8:])
                packages_rows[-1] = (*packages_rows[-1][:7], on)
                reviews.append((prev_pid, prev_pid, person_id, aid, prev_due, on, staff, on > prev_due,
                                "confirmed" if prev_cluster == cluster else "changed"))
            pid += 1
            periods.append((pid, person_id, aid, provider, commissioner, team[0], on, None, entry.suggested, entry.fit,
                            entry.result_code, entry.red_rules, entry.breach, cluster, staff,
                            "clinical judgement: presentation not captured by the ratings" if overridden else None,
                            "clinical change outside the expected pathway" if outside else None,
                            profile_ref, due, 1))
            packages_rows.append((pid, person_id, pid, packages[cluster].key, packages[cluster].ref,
                                  packages[cluster].cost_per_cluster_day, on, None))
            # What happens next: discharge before the due date, or a review around it.
            if rng.random() < (0.35 if cluster in ("01", "02", "14", "15") else 0.12):
                out = on + timedelta(days=int(rng.integers(14, max(15, (due - on).days))))
                if out > size.end:
                    break
                periods[-1] = (*periods[-1][:7], out, *periods[-1][8:])
                packages_rows[-1] = (*packages_rows[-1][:7], out)
                discharges.append((pid, person_id, pid, out, staff, cluster, "care complete"))
                break
            span = (due - on).days
            if rng.random() < LATE_SHARE:
                nxt = due + timedelta(days=int(rng.integers(1, 60)))
            else:
                nxt = on + timedelta(days=int(rng.integers(max(7, int(span * 0.7)), span + 1)))
            if nxt > size.end:
                break
            previous = (pid, due, cluster)
            new_cluster, outside = _next_cluster(rng, cluster, nxt, rules)
            reason = "review" if new_cluster == cluster else "transition"
            cluster, on = new_cluster, nxt
        if progress and (i + 1) % 1000 == 0:
            progress(1000)
    if progress:
        progress(size.people % 1000)

    def spec(model, rows):
        t = model.__table__
        return t, [c.name for c in t.columns], rows

    return {
        "organisations": spec(Organisation, orgs),
        "teams": spec(Team, teams),
        "service_users": spec(ServiceUser, people),
        "referrals": spec(Referral, referrals),
        "assessments": (Assessment.__table__, ["id", "clust_id", "service_user_id", "referral_id", "team_id", "assessor",
                                               "assessed_on", "reason", "clust_cat", "item_08_type", *ITEM_COLUMNS], assessments),
        "cluster_periods": spec(ClusterPeriod, periods),
        "reviews": spec(Review, reviews),
        "discharges": spec(Discharge, discharges),
        "care_package_assignments": spec(CarePackageAssignment, packages_rows),
    }


def _digest(rows: list[tuple]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(repr(r).encode())
    return h.hexdigest()


def generate_trust(
    db: Engine | str | None = None,
    *,
    seed: int = 1,
    size: TrustSize | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerateSummary:
    """Generate and load a synthetic trust into an upgraded, empty database.

    ``progress(stage, advance, total)`` is called as people are simulated and
    tables loaded. Returns row counts per table and a digest of everything
    loaded (the same seed and size give the same digest on any backend).
    """
    size = size or TrustSize()
    engine = db if isinstance(db, Engine) else make_engine(db)
    sim = (lambda n: progress("simulate", n, size.people)) if progress else None
    tables = build_rows(seed, size, sim)
    summary = GenerateSummary(seed=seed, size=size)
    total = sum(len(rows) for _, _, rows in tables.values())
    digest = hashlib.sha256()
    try:
        with engine.begin() as conn:
            with Session(bind=conn) as s:  # joins this transaction; commit does not end it
                register_reference_data(s, actor="generator")
                s.commit()
            events = []
            for name, (table, cols, rows) in tables.items():
                n = bulk_insert(conn, table, cols, rows)
                d = _digest(rows)
                digest.update(d.encode())
                summary.rows[name] = n
                events.append(audit.Event("generator", "bulk_load", name, name, {"rows": n, "sha256": d, "seed": seed}))
                if progress:
                    progress("load", n, total)
            reset_sequences(conn, [t for t, _, _ in tables.values()])
            params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(size).items()}
            events.append(audit.Event("generator", "synthetic_trust", "trust", f"seed-{seed}", {"size": params}))
            audit.append_many(conn, events, recorded_at=datetime.now(UTC).replace(tzinfo=None))
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
    summary.digest = digest.hexdigest()
    return summary
