"""Analyst MHSDS upload without a browser: a background job, its progress page, the rejects download."""

from __future__ import annotations

import re
import time
from datetime import date


def _files(tmp_path, web_trust) -> dict[str, bytes]:
    from openpbr.access import Scope
    from openpbr.db import make_engine
    from openpbr.services.records import export_records

    engine = make_engine(web_trust)
    export_records(engine, Scope.local_operator(), tmp_path, start=date(2024, 3, 1), end=date(2024, 3, 31))
    engine.dispose()
    files = {p.stem.upper(): p.read_bytes() for p in tmp_path.glob("*.csv")}
    assert {"MHS801", "MHS802", "MHS803"} <= set(files), files.keys()
    return files


def test_upload_runs_as_a_job_and_offers_the_rejects(web, web_trust, tmp_path):
    files = _files(tmp_path, web_trust)
    # One hostile row: a rating out of range is a reject with its line, not a failed import.
    lines = files["MHS802"].decode().splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    rating = next(i for i, h in enumerate(header) if "score" in h.lower() or "rating" in h.lower())
    bad[rating] = "7"
    files["MHS802"] = "\n".join([lines[0], ",".join(bad), *lines[2:]]).encode() + b"\n"
    web.sign_in("analyst")
    assert web.client.get("/imports").status_code == 200
    r = web.post("/imports", {})
    assert r.status_code == 422 and 'href="#mhs801"' in r.text
    token = web.csrf("/imports")
    r = web.client.post("/imports", data={"csrf_token": token}, follow_redirects=False,
                        files={k.lower(): (f"{k}.csv", v, "text/csv") for k, v in files.items()})
    assert r.status_code == 303, r.text
    job = r.headers["location"]
    for _ in range(600):
        page = web.client.get(job).text
        if "MHSDS upload progress" not in page:
            break
        assert "<progress" in page
        time.sleep(0.1)
    assert "MHSDS upload finished" in page, page[:2000]
    link = re.search(r'href="(/imports/[0-9a-f]+/rejects.csv)"', page)
    assert link, "no rejects download"
    rejects = web.client.get(link.group(1)).content.decode("utf-8-sig").splitlines()
    assert rejects[0] == "file,line,field,code,reason" and len(rejects) >= 2
    web.sign_in("clinician")
    assert web.client.get(job).status_code == 404
