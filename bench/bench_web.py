"""Benchmark: server response times of the main web pages on a synthetic trust (default 100,000 people, 5 years).

    .venv/bin/python bench/bench_web.py                  # 100,000 people
    .venv/bin/python bench/bench_web.py --people 10000   # smaller, quicker

Starts `openpbr serve --dev-signin` as its own process on 127.0.0.1, signs in
through the development sign-in page like a browser (cookies, CSRF token), and
sends bounded request loops (a fixed count per page, a few client threads) to
the main page of each role. Reports p50 and p99 and, as the floor, the p50 of
the same data fetched in-process through the same service call, measured in
the same run on the same database: the difference is HTTP, templates and HTML.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench_api import free_port, load, peak_rss_mib  # bench/ is on sys.path when a benchmark runs
from scratch_db import scratch_database

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(base: str, user: str, person: str | None = None):  # type: ignore[no-untyped-def]
    import httpx

    client = httpx.Client(base_url=base, timeout=120)
    token = CSRF.search(client.get("/sign-in").text).group(1)
    data = {"csrf_token": token, "user": user, **({"person": person} if person else {})}
    r = client.post("/sign-in/development", data=data)
    assert r.status_code in (200, 303), r.status_code
    return client


def in_process(url: str, as_of: date, person: str, statement_id: int | None, n: int) -> dict[str, float]:
    """The same reads the pages make, through the same service calls, without HTTP or templates."""
    from sqlalchemy.orm import Session

    from openpbr.access import Role, Scope
    from openpbr.db import make_engine
    from openpbr.services import records
    from openpbr.web import records as web_records
    from openpbr.web import settlement
    from openpbr.web.pages.home import price_rows
    from openpbr.web.worklist import worklist

    engine = make_engine(url)
    clin = Scope(actor="bench", role=Role.CLINICIAN, organisations=frozenset({"R01"}), team="R01-T01")
    su = Scope(actor="bench-su", role=Role.SERVICE_USER, person=person)
    fin = Scope(actor="bench-fin", role=Role.PROVIDER_FINANCE, organisations=frozenset({"R01"}))

    def with_session(fn):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            with Session(engine) as s:
                out = fn(s)
                s.commit()
                return out
        return run

    calls = {
        "services": lambda: price_rows(as_of),
        "caseload": with_session(lambda s: web_records.caseload(s, clin, as_of)),
        "worklist": with_session(lambda s: worklist(s, clin, as_of, team="R01-T01")),
        "person": with_session(lambda s: web_records.person_record(s, clin, person, as_of)),
        "my_care": with_session(lambda s: records.my_care(s, su, person=person, as_of=as_of)),
    }
    if statement_id is not None:
        calls["statement"] = with_session(lambda s: settlement.statement(s, fin, statement_id))
    out = {}
    for name, fn in calls.items():
        fn()
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        out[name] = round(1000 * statistics.median(lat), 2)
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100, help="requests per page (bounded)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from sqlalchemy import text

    from openpbr.db import make_engine, upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    result: dict = {"people": args.people, "years": args.years, "requests": args.requests, "threads": args.threads}
    with scratch_database("sqlite") as url:
        upgrade(url)
        t = time.perf_counter()
        size = TrustSize(people=args.people, years=args.years)
        generate_trust(url, seed=1, size=size)
        result["load_s"] = round(time.perf_counter() - t, 1)
        as_of = size.end
        e = make_engine(url)
        with e.connect() as c:
            person = c.execute(text(
                "SELECT min(s.pseudo_id) FROM service_users s JOIN cluster_periods cp ON cp.service_user_id = s.id "
                "JOIN teams t ON t.id = cp.team_id WHERE cp.end_on IS NULL AND t.code = 'R01-T01'")).scalar_one()
        e.dispose()
        port = free_port()
        env = {**os.environ, "OPENPBR_DATABASE_URL": url, "OPENPBR_AS_OF": as_of.isoformat()}
        cmd = [str(Path(sys.executable).parent / "openpbr"), "serve", "--port", str(port), "--dev-signin"]
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        statement_id = None
        try:
            import httpx

            for _ in range(300):  # wait for the server, at most 30 s
                try:
                    httpx.get(base + "/services", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            clin, su, fin = signed_in(base, "clinician"), signed_in(base, "service-user", person), signed_in(base, "finance")
            public = httpx.Client(base_url=base, timeout=120)
            t = time.perf_counter()
            month = f"{as_of:%Y-%m}"
            r = fin.post("/settlement/runs", data={"csrf_token": CSRF.search(fin.get("/settlement").text).group(1),
                                                    "month": month, "mode": "live"})
            result["settle_month_s"] = round(time.perf_counter() - t, 2)
            m = re.search(r'href="/settlement/statements/(\d+)"', fin.get(r.headers.get("location", "/settlement")).text)
            statement_id = int(m.group(1)) if m else None
            n, k = args.requests, args.threads
            pages = {"services": (public, "/services"), "caseload": (clin, "/caseload"),
                     "worklist": (clin, "/worklist"), "person": (clin, f"/people/{person}"),
                     "my_care": (su, "/my-care")}
            if statement_id is not None:
                pages["statement"] = (fin, f"/settlement/statements/{statement_id}")
            for name, (client, path) in pages.items():
                load(client, path, {}, 5, 1)  # warm up
                result[name] = {k2: round(v, 2) for k2, v in load(client, path, {}, n, k).items()}
                result[name]["bytes"] = len(client.get(path).content)
            result["server_peak_rss_mib"] = round(peak_rss_mib(server.pid), 1)
            for c in (clin, su, fin, public):
                c.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor = in_process(url, as_of, person, statement_id, max(10, args.requests // 5))
        result["in_process_p50_ms"] = floor
        for name, f in floor.items():
            if name in result and f > 0:
                result[name]["ratio_to_in_process"] = round(result[name]["p50_ms"] / f, 2)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
