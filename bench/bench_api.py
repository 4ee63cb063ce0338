"""Benchmark: the API under load on a synthetic trust (default 100,000 people, 5 years).

    .venv/bin/python bench/bench_api.py                          # SQLite, 100,000 people
    .venv/bin/python bench/bench_api.py --people 20000 --backend postgres

Starts `openpbr serve` as its own process on 127.0.0.1 and sends bounded request
loops (a fixed count per endpoint, several client threads) to the worklist,
a service user's my-care and a settlement statement, plus `/v1/me` as the HTTP
floor. Reports p50 and p99 latency, throughput and the server's peak memory, and
the ratio of each endpoint's p50 to its floor measured in the same run: the same
service function called in-process on the same database.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from scratch_db import scratch_database  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(client, path: str, headers: dict, n: int, threads: int) -> dict:
    def one(_):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        return time.perf_counter() - t

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        lat = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return {"requests": n, "p50_ms": 1000 * statistics.median(lat), "p99_ms": 1000 * percentile(lat, 0.99),
            "per_s": n / wall}


def in_process_floor(url: str, as_of: date, person: str, n: int) -> dict:
    from sqlalchemy.orm import Session

    from openpbr.access import Role, Scope
    from openpbr.db import make_engine
    from openpbr.services import records

    engine = make_engine(url)
    staff = Scope(actor="bench", role=Role.CLINICIAN, organisations=frozenset({"R01"}))
    su = Scope(actor="bench-su", role=Role.SERVICE_USER, person=person)
    out = {}
    for name, fn in (("worklist", lambda: records.worklist(engine, staff, as_of=as_of)),
                     ("my_care", lambda: _my_care(engine, su, person, as_of, records, Session))):
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        out[name] = 1000 * statistics.median(lat)
    engine.dispose()
    return out


def _my_care(engine, scope, person, as_of, records, Session):
    with Session(engine) as s:
        r = records.my_care(s, scope, person=person, as_of=as_of)
        s.commit()
        return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--requests", type=int, default=200, help="requests per endpoint (bounded)")
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    import httpx
    from sqlalchemy import text

    from openpbr.db import make_engine, upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    result: dict = {"people": args.people, "backend": args.backend}
    with scratch_database(args.backend) as url:
        upgrade(url)
        t = time.perf_counter()
        size = TrustSize(people=args.people, years=args.years)
        generate_trust(url, seed=1, size=size)
        result["load_s"] = round(time.perf_counter() - t, 1)
        as_of = date(size.end.year, size.end.month, 1)
        e = make_engine(url)
        with e.connect() as c:
            person = c.execute(text("SELECT min(s.pseudo_id) FROM service_users s JOIN cluster_periods cp "
                                    "ON cp.service_user_id = s.id WHERE cp.end_on IS NULL")).scalar_one()
        e.dispose()
        port = free_port()
        env = {**os.environ, "OPENPBR_DATABASE_URL": url}
        cmd = [str(Path(sys.executable).parent / "openpbr"), "serve", "--port", str(port), "--dev-signin"]
        if args.backend == "postgres":
            cmd.append("--allow-dev-signin-on-postgres")
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(200):  # wait for the server, at most 20 s
                    try:
                        client.get("/openapi.json")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                tok = lambda body: {"Authorization": "Bearer " + client.post("/v1/auth/dev-token", json=body)
                                    .json()["access_token"]}
                clin, su = tok({"user": "clinician"}), tok({"user": "service-user", "person": person})
                fin = tok({"user": "finance"})
                n, k = args.requests, args.threads
                load(client, "/v1/me", clin, 20, k)  # warm up
                result["me_floor"] = load(client, "/v1/me", clin, n, k)
                result["worklist"] = load(client, f"/v1/worklist?as_of={as_of}&limit=100", clin, n, k)
                result["my_care"] = load(client, f"/v1/my-care?as_of={as_of}", su, n, k)
                runs = client.get("/v1/settlement/runs", headers=fin)
                if runs.status_code == 200 and runs.json().get("items"):
                    run = runs.json()["items"][0]["id"]
                    result["statement"] = load(client, f"/v1/settlement/runs/{run}/statements", fin, n, k)
                result["server_peak_rss_mib"] = round(peak_rss_mib(server.pid), 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor = in_process_floor(url, as_of, person, max(10, args.requests // 10))
        result["in_process_p50_ms"] = floor
        for name in ("worklist", "my_care"):
            result[name]["ratio_to_in_process"] = round(result[name]["p50_ms"] / floor[name], 2)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
