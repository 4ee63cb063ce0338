"""Finance and commissioner pages without a browser: runs, scope, traces, drill-down audit, downloads."""

from __future__ import annotations

import io
import re

from sqlalchemy import create_engine, text


def _settle(web, month="2024-03", mode="live") -> str:
    r = web.post("/settlement/runs", {"month": month, "mode": mode})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_settling_twice_stores_one_run_and_statements_stay_in_scope(web):
    web.sign_in("finance")
    first = _settle(web)
    assert _settle(web) == first  # same inputs: the stored run, nothing new
    page = web.client.get(first).text
    ids = re.findall(r'href="/settlement/statements/(\d+)"', page)
    contracts = re.findall(r'href="/settlement/statements/\d+">([^<]+)<', page)
    assert ids and all(c.startswith("R01-") for c in contracts)  # provider R01's statements only
    web.sign_in("commissioner")
    listed = set(re.findall(r'href="/settlement/statements/\d+">([^<]+)<', web.client.get(first).text))
    assert listed and all("-01X-" in c for c in listed)  # commissioner 01X's statements only
    for sid, contract in zip(ids, contracts):
        status = web.client.get(f"/settlement/statements/{sid}").status_code
        assert status == (200 if "-01X-" in contract else 404), (contract, status)


def test_statement_line_trace_and_audited_drill_down(web, web_trust):
    web.sign_in("finance")
    run = _settle(web)
    page = web.client.get(run).text
    sid = re.search(r'href="/settlement/statements/(\d+)">R01-01X-CLUSTER<', page).group(1)
    st = web.client.get(f"/settlement/statements/{sid}").text
    assert "Settled" in st
    line = re.search(rf'href="/settlement/statements/{sid}/lines/(\d+)"', st).group(1)
    trace = web.client.get(f"/settlement/statements/{sid}/lines/{line}")
    assert trace.status_code == 200 and "how it was worked out" in trace.text
    web.sign_in("commissioner")
    eng = create_engine(web_trust)
    with eng.connect() as c:
        before = c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar()
    act = web.client.get(f"/settlement/statements/{sid}/lines/{line}/activity")
    assert act.status_code == 200 and "People behind this line" in act.text
    shown = len(re.findall(r"<tr class=\"nhsuk-table__row\"><td class=\"nhsuk-table__cell\">", act.text))
    with eng.connect() as c:
        after = c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar()
        actor = c.execute(text("SELECT actor FROM audit_log ORDER BY seq DESC LIMIT 1")).scalar()
    eng.dispose()
    assert shown > 0 and after - before == shown and actor == "dev-commissioner"
    # An analyst may read statements but not drill down to people.
    web.sign_in("analyst")
    assert web.client.get(f"/settlement/statements/{sid}/lines/{line}/activity").status_code == 404


def test_downloads_are_excel_safe_csv_and_real_xlsx(web):
    from openpyxl import load_workbook

    web.sign_in("finance")
    run = _settle(web)
    sid = re.search(r'href="/settlement/statements/(\d+)"', web.client.get(run).text).group(1)
    c = web.client.get(f"/settlement/statements/{sid}.csv")
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    assert "attachment" in c.headers["content-disposition"]
    body = c.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("line,model,rule,code,description")
    x = web.client.get(f"/settlement/statements/{sid}.xlsx")
    wb = load_workbook(io.BytesIO(x.content))
    rows = list(wb.active.values)
    assert rows[0][:3] == ("line", "model", "rule") and len(rows) == len(body.splitlines())
    assert web.client.get(f"/settlement/statements/{sid}.exe").status_code == 404
    pdf = web.client.get(f"/settlement/statements/{sid}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


def test_excel_safe_download_neutralises_formulas():
    from openpbr.web.downloads import csv_response

    r = csv_response("x", ["a"], [["=HYPERLINK(\"http://evil\")"], ["-12.5"], [3]])
    lines = r.body.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2] == "-12.5" and lines[3] == "3"


def test_income_against_care_package_cost(web):
    web.sign_in("finance")
    r = web.client.get("/income?month=2024-03")
    assert r.status_code == 200 and "Income and costs by cluster" in r.text and "Estimate" in r.text
    x = web.client.get("/income.csv?month=2024-03").content.decode("utf-8-sig").splitlines()
    assert x[0] == "cluster,name,cluster_days,income_pence,package_cost_pence,difference_pence" and len(x) > 5
    web.sign_in("clinician")
    assert web.client.get("/income").status_code == 404


def test_what_if_compares_models_for_a_pair_in_scope(web):
    web.sign_in("commissioner")
    r = web.client.get("/whatif")
    assert r.status_code == 200 and "R01|01X" in r.text and "R01|02X" not in r.text
    r = web.client.get("/whatif?pair=R01|02X&block=x&rate=900")
    assert r.status_code == 422 and 'href="#pair"' in r.text and 'href="#block"' in r.text
    r = web.client.get("/whatif?pair=R01|01X&block=1500000&rate=900")
    assert r.status_code == 200 and "Capitation" in r.text and "Total" in r.text
    assert len(re.findall(r"<th scope=\"row\" class=\"nhsuk-table__cell\">20\d\d-\d\d</th>", r.text)) == 3
