"""Benchmark: the strict reader against plain pyarrow on the same cluster_periods CSV.

Usage: python bench/bench_reader.py [--rows 1000000] [--repeat 3]

Both are timed in the same process and run (best of ``--repeat``), so the
ratio is what the checks cost: header matching, trimming, type checks, the
ASCII-digit scan, date parsing, plausibility and END_BEFORE_START. The input
is synthetic (about 1 in 10,000 rows is bad), cached under bench/.data/.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"


def make_input(rows: int, seed: int = 5) -> Path:
    path = DATA / f"cluster_periods_{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    start = np.datetime64("2020-01-01") + rng.integers(0, 1500, rows)
    end = start + rng.integers(1, 400, rows)
    clusters = np.array([f"{c:02d}" for c in range(22)])[rng.integers(0, 22, rows)]
    open_end = rng.random(rows) < 0.2
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write("person_id,provider,commissioner,cluster,start_date,end_date,need_group\n")
        for i in range(rows):
            e = "" if open_end[i] else str(end[i])
            if i % 10_000 == 7:
                e = "31/12/2024"  # a day-first date: a row issue
            fh.write(f"P{i:08d},RXX,C{i % 7:02d},{clusters[i]},{start[i]},{e},standard\n")
    tmp.replace(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = make_input(args.rows)

    import pyarrow.csv as pacsv

    from openpbr.io.reader import read_table
    from openpbr.io.tables import CLUSTER_PERIODS

    def plain():
        return pacsv.read_csv(path)

    def strict():
        return read_table(path, CLUSTER_PERIODS, as_of=date(2026, 1, 1))

    best = {}
    for name, fn in (("pyarrow.csv.read_csv", plain), ("read_table", strict)):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        best[name] = min(times)
        extra = f", {len(out.issues)} issues, {out.table.num_rows} good rows" if name == "read_table" else ""
        print(f"{name:22s} {best[name]:.2f} s (best of {args.repeat}){extra}")
    print(f"ratio read_table / pyarrow: {best['read_table'] / best['pyarrow.csv.read_csv']:.2f}x ({args.rows:,} rows)")


if __name__ == "__main__":
    main()
