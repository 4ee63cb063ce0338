"""Benchmark: settle a trust-year and a national-scale year, 12 monthly runs each.

    .venv/bin/python bench/bench_payment.py            # both scenarios, each in its own process
    .venv/bin/python bench/bench_payment.py trust      # one scenario

Activity is generated synthetically here (seeded). Reports generation time,
settlement time for 12 months over every contract, and the process's peak
resident memory (each scenario runs in a fresh process so peaks are separate).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import date

import numpy as np

START, END = date(2024, 4, 1), date(2025, 4, 1)


def trust_year():
    from openpbr.payment.cli import DEMO_INDICATORS
    from openpbr.payment.contracts import demo_contracts_dir, load_contracts
    from openpbr.payment.synthetic import indicator_results, synthetic_bundle

    cs = load_contracts(demo_contracts_dir())
    b = synthetic_bundle(100_000, ["RDEMO"], ["ICB-A", "ICB-B", "ICB-C", "LA-D", "ICB-E"], START, END,
                         acute_provider="RACUTE", spells=25_000)
    b.indicator_results = indicator_results([c.contract_id for c in cs], DEMO_INDICATORS)
    return cs, b


NATIONAL_MODELS = [
    "- {{type: cluster_activity, unit: per_cluster_day, need_weights: {{high: \"1.10\"}}}}\n"
    "- {{type: personal_budgets}}\n- {{type: risk_share, baseline_annual: \"{v}\", cap_annual: \"{cap}\"}}\n"
    "- {{type: cquin, pct: \"2.5\", goals: [{{indicator: staff_wellbeing}}]}}",
    "- {{type: cluster_activity, unit: per_cluster_period, transfer_rule: pro_rata_days}}\n"
    "- {{type: outcome, variant: withhold, at_risk_pct: \"3\", indicators: [{{indicator: within_review_period, target: \"0.9\"}}]}}",
    "- {{type: cluster_activity, unit: per_cluster_period, transfer_rule: period_owner}}\n- {{type: personal_budgets}}",
    "- {{type: block, annual_value: \"{v}\"}}\n- {{type: personal_budgets}}\n"
    "- {{type: cquin, pct: \"2.5\", goals: [{{indicator: staff_wellbeing}}]}}",
    "- {{type: capitation, annual_rate: \"2400.00\", risk_weights: {{high: \"1.6\"}}}}\n"
    "- {{type: risk_share, baseline_annual: \"{v}\", rate_above: \"0.5\", rate_below: \"0.5\"}}\n"
    "- {{type: outcome, variant: bonus, at_risk_pct: \"2\", indicators: [{{indicator: paired_honos, target: \"0.7\"}}]}}",
]


def national_year(people=1_500_000, providers=200, commissioners=42, per_provider=3):
    from openpbr.payment.contracts import parse_contract
    from openpbr.payment.synthetic import indicator_results, synthetic_bundle

    rng = np.random.default_rng(7)
    provs = [f"R{i:03d}" for i in range(providers)]
    comms = [f"Q{i:02d}" for i in range(commissioners)]
    pairs = [(p, int(c)) for p in range(providers) for c in rng.choice(commissioners, per_provider, replace=False)]
    pick = rng.integers(0, len(pairs), people)
    pp = np.array([p for p, _ in pairs])[pick]
    cc = np.array([c for _, c in pairs])[pick]
    b = synthetic_bundle(people, provs, comms, START, END, seed=11, pair_of_person=(pp, cc))
    counts = np.bincount(pick, minlength=len(pairs))
    cs = []
    for k, (p, c) in enumerate(pairs):
        value = int(counts[k]) * 3000
        body = NATIONAL_MODELS[k % len(NATIONAL_MODELS)].format(v=f"{value}.00", cap=f"{int(value * 1.2)}.00")
        body = "\n".join("  " + ln for ln in body.splitlines())
        cs.append(parse_contract(f"contract_id: N{k:04d}\ncommissioner: {comms[c]}\nprovider: {provs[p]}\n"
                                 f"valid_from: {START}\nvalid_to: {END}\npayments_on_account: {{annual: \"{value}.00\"}}\n"
                                 f"models:\n{body}\n"))
    b.indicator_results = indicator_results([c.contract_id for c in cs],
                                            ["staff_wellbeing", "within_review_period", "paired_honos"])
    return cs, b


def run_scenario(name: str) -> dict:
    from openpbr.payment.settle import month_windows, settle

    t0 = time.perf_counter()
    cs, b = trust_year() if name == "trust" else national_year()
    t1 = time.perf_counter()
    runs = [settle(cs, b, a, z) for a, z in month_windows(START, END)]
    t2 = time.perf_counter()
    lines = sum(len(st.lines) for r in runs for st in r.statements)
    return {
        "scenario": name, "contracts": len(cs), "cluster_periods": b.cluster_periods.num_rows,
        "people": b.population.num_rows, "spells": 0 if b.spells is None else b.spells.num_rows,
        "generate_s": round(t1 - t0, 2), "settle_12_months_s": round(t2 - t1, 2),
        "statement_lines": lines, "total_gbp": f"{sum(r.total for r in runs) / 100:,.2f}",
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(run_scenario(sys.argv[1])))
    else:
        for s in ("trust", "national"):
            out = subprocess.run([sys.executable, __file__, s], capture_output=True, text=True, check=True)
            print(out.stdout.strip())
