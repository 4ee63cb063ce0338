"""Benchmark: `openpbr cluster` end to end versus just reading and writing the same CSV.

Usage: python bench/bench_cluster.py [--rows 1000000] [--repeat 3]

Each measurement is a fresh process (so start-up is included), timed by wall
clock, with peak resident memory read from the kernel (wait4 rusage).
Input is synthetic (openpbr.clustering.synthetic), cached under bench/.data/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
PY = sys.executable
BIN = str(Path(PY).with_name("openpbr"))

BASELINE = """
import sys, pyarrow.csv as c
w = None
reader = c.open_csv(sys.argv[1], read_options=c.ReadOptions(block_size=8 << 20))
import pyarrow as pa
with pa.OSFile(sys.argv[2], "wb") as sink:
    for batch in reader:
        if w is None:
            w = c.CSVWriter(sink, batch.schema)
        w.write_batch(batch)
    w.close()
"""


def make_input(rows: int, seed: int = 11) -> Path:
    path = DATA / f"assessments_{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    from openpbr.clustering.synthetic import model_from_profiles, sample, write_assessments_csv

    model = model_from_profiles()
    chunk = 1_000_000
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:
        for n, start in enumerate(range(0, rows, chunk)):
            part = DATA / "chunk.csv"
            write_assessments_csv(part, sample(model, min(chunk, rows - start), seed=seed + n), model, seed=seed + n)
            lines = part.read_bytes()
            if n:
                lines = lines.split(b"\n", 1)[1]
            out.write(lines)
            part.unlink()
    tmp.replace(path)
    return path


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{cmd} failed with status {status}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--make-input":
        make_input(int(sys.argv[2]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    # generate in a child process so the processes measured below do not inherit this one's memory high-water mark
    subprocess.run([PY, __file__, "--make-input", str(args.rows)], check=True)
    src = make_input(args.rows)
    out = DATA / "out.csv"
    print(f"input: {args.rows:,} rows, {src.stat().st_size / 2**20:.0f} MiB; {os.cpu_count()} cores")
    rows = []
    for name, cmd in (
        ("read+write CSV only (pyarrow)", [PY, "-c", BASELINE, str(src), str(out)]),
        ("openpbr cluster", [BIN, "cluster", "--in", str(src), "--out", str(out), "--quiet"]),
        ("python start-up + CLI import", [BIN, "--help"]),
    ):
        runs = [measure(cmd) for _ in range(args.repeat)]
        best = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        rows.append((name, best, peak))
        print(f"{name:32s} best of {args.repeat}: {best:6.2f} s   peak RSS {peak:7.0f} MiB")
    ratio = rows[1][1] / rows[0][1]
    print(f"cluster / read+write = {ratio:.2f}x; throughput {args.rows / rows[1][1] / 1e6:.2f} M rows/s")
    out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
