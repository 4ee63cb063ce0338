"""Benchmark: every indicator for a 100,000-person, 5-year synthetic trust.

Run once:  .venv/bin/python bench/bench_outcomes.py [--people 100000]

Arrays come from openpbr.outcomes.synthetic (seeded), not the records
database generator, so the figure measures the computation, not loading.
Reports wall time per step and the process peak resident memory after it
(ru_maxrss, which only grows), plus the Arrow memory pool's high-water mark.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

import pyarrow as pa

from openpbr.outcomes.gaming import detect_gaming
from openpbr.outcomes.indicators import compute_indicators
from openpbr.outcomes.spc import xmr_table
from openpbr.outcomes.synthetic import ProviderSpec, TrustSpec, synthetic_trust

START, END = date(2020, 4, 1), date(2025, 3, 31)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name, fn):
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    print(f"{name:<28} {secs:8.2f} s   peak RSS so far {rss_mib():8.0f} MiB   arrow pool max {pa.default_memory_pool().max_memory() / 2**20:8.1f} MiB")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args()
    providers = (
        ProviderSpec("RH1", n_teams=8), ProviderSpec("RH2", n_teams=8, severity_shift=0.4), ProviderSpec("RH3", n_teams=6),
        ProviderSpec("RUP", n_teams=6, upcode_rate=0.4, upcode_from=date(2023, 4, 1)),
        ProviderSpec("RCS", n_teams=6, cream_skim=0.5), ProviderSpec("RIN", n_teams=6, inflate_improvement=0.35),
    )
    spec = TrustSpec(providers=providers, n_people=args.people, start=START, end=END, commissioners=("C01", "C02", "C03", "C04", "C05"))
    inputs, _ = step("generate synthetic trust", lambda: synthetic_trust(spec))
    print("rows:", {k: v.num_rows for k, v in inputs.tables().items()})
    run = step("all indicators, 60 months", lambda: compute_indicators(inputs, START, END))
    print(f"indicator rows: {run.results.num_rows}; caseload person-months: {len(run.populations.caseload):,}; "
          f"pairs: {run.populations.pairs.status_counts()}")
    step("XmR tables (trust+provider)", lambda: xmr_table(run.results))
    findings = step("gaming detection", lambda: detect_gaming(inputs, START, END))
    flagged = sorted({(r['unit_type'], r['unit'], r['detector']) for r in findings.to_pylist() if r['flagged'] and r['unit_type'] == 'provider'})
    print("provider flags:", flagged)
    print(f"process peak RSS: {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
