"""Benchmark: MHSDS import of a whole synthetic trust into empty databases.

    .venv/bin/python bench/bench_mhsds.py                      # 10,000 people, 5 years; SQLite, then PostgreSQL
    .venv/bin/python bench/bench_mhsds.py --people 2000 --backend sqlite
    .venv/bin/python bench/bench_mhsds.py --module /tmp/old_mhsds.py   # time another copy of the importer

The trust is generated once into a scratch SQLite file and exported with
``export_mhsds``; each backend then imports the same three files into a
freshly migrated, empty database (PostgreSQL: a uniquely named database,
dropped afterwards). The reported rate is assessments (MHS801 rows) per second.
"""

from __future__ import annotations

import argparse
from datetime import date
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from scratch_db import scratch_database  # bench/ is on sys.path when a benchmark runs



def load_importer(path: str | None):
    if path is None:
        from openpbr.records import mhsds

        return mhsds.import_mhsds
    spec = importlib.util.spec_from_file_location("mhsds_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod.import_mhsds


def export_trust(folder: Path, people: int, years: int, seed: int) -> dict[str, int]:
    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust
    from openpbr.records.mhsds import export_mhsds

    url = f"sqlite:///{folder / 'source.sqlite'}"
    upgrade(url)
    generate_trust(url, seed=seed, size=TrustSize(people=people, years=years))
    return export_mhsds(url, folder / "files")


def time_import(backend: str, importer, files: Path, scratch: Path) -> dict:
    from openpbr.db import upgrade

    with scratch_database(backend, scratch) as url:
        upgrade(url)
        t = time.perf_counter()
        try:
            report = importer(url, files, as_of=date.today())
        except TypeError:  # an importer from before as_of
            report = importer(url, files)
        seconds = time.perf_counter() - t
    n = report.inserted["MHS801"]
    return {"backend": backend, "seconds": round(seconds, 2), "assessments": n, "periods": report.inserted["MHS803"],
            "errors": len(report.errors), "assessments_per_s": round(n / seconds)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--module", help="path to an mhsds.py to time instead of the installed one")
    args = ap.parse_args()
    importer = load_importer(args.module)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        t = time.perf_counter()
        counts = export_trust(scratch, args.people, args.years, args.seed)
        print(f"exported {counts} in {time.perf_counter() - t:.1f} s")
        for backend in (["sqlite", "postgres"] if args.backend == "both" else [args.backend]):
            print(time_import(backend, importer, scratch / "files", scratch), flush=True)


if __name__ == "__main__":
    main()
