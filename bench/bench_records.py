"""Benchmark: load a synthetic trust (default 100,000 people, 5 years) and produce the review worklist.

    .venv/bin/python bench/bench_records.py                 # SQLite, then PostgreSQL if reachable
    .venv/bin/python bench/bench_records.py --backend sqlite --people 20000

Each backend runs in its own process so peak memory (max RSS) is per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date

from scratch_db import scratch_database  # bench/ is on sys.path when a benchmark runs


def run_one(backend: str, people: int, years: int, seed: int) -> dict:
    from openpbr.db import make_engine, upgrade
    from openpbr.records import extract
    from openpbr.records.audit import verify
    from openpbr.records.generate import TrustSize, build_rows, generate_trust
    from openpbr.records.month import run_month
    from openpbr.records.worklist import review_worklist, summarise

    out: dict = {"backend": backend, "people": people, "years": years}
    with scratch_database(backend) as url:
        t = time.perf_counter()
        upgrade(url)
        out["migrate_s"] = time.perf_counter() - t
        size = TrustSize(people=people, years=years)
        t = time.perf_counter()
        build_rows(seed, size)  # simulation alone (the load below repeats it)
        out["simulate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        summary = generate_trust(url, seed=seed, size=size)
        out["generate_and_load_s"] = time.perf_counter() - t
        out["rows"] = summary.rows
        engine = make_engine(url)
        as_of = date(size.end.year, size.end.month, 1)
        t = time.perf_counter()
        w = review_worklist(engine, as_of)
        s = summarise(w)
        out["worklist_s"] = time.perf_counter() - t
        out["worklist_rows"] = w.num_rows
        out["worklist_overdue"] = int(sum(r["overdue"] for r in s.to_pylist()))
        t = time.perf_counter()
        m = run_month(engine, f"{as_of:%Y-%m}")
        out["month_s"] = time.perf_counter() - t
        out["month_allocations"] = m.allocations.num_rows
        t = time.perf_counter()
        p = extract.cluster_periods(engine, date(size.start.year, 4, 1), size.end)
        out["extract_all_periods_s"] = time.perf_counter() - t
        out["extract_rows"] = p.num_rows
        with engine.connect() as c:
            t = time.perf_counter()
            out["audit_ok"] = verify(c).ok
            out["audit_verify_s"] = time.perf_counter() - t
        engine.dispose()
        if backend == "sqlite":
            out["sqlite_file_mb"] = round(os.path.getsize(url.removeprefix("sqlite:///")) / 1e6, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.backend != "both":
        print(json.dumps(run_one(args.backend, args.people, args.years, args.seed), default=str))
        return
    for backend in ("sqlite", "postgres"):
        cmd = [sys.executable, __file__, "--backend", backend, "--people", str(args.people), "--years", str(args.years),
               "--seed", str(args.seed)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(f"{backend}: failed\n{res.stderr[-2000:]}")
            continue
        data = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"\n== {backend} ==")
        for k, v in data.items():
            print(f"{k:>24}: {round(v, 2) if isinstance(v, float) else v}")


if __name__ == "__main__":
    main()
