"""What-if: the same activity under different payment models, and the effect of a price change.

``compare_models`` settles one commissioner-provider pair's activity under a
block, a cluster tariff (per day and per period) and a capitation contract,
side by side. ``price_change`` settles under two price schedules. Both run in
shadow mode (Shadow prices allowed) and write a table and a PNG chart.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpbr.payment.activity import ActivityBundle
from openpbr.payment.contracts import Contract, parse_contract
from openpbr.payment.money import fmt, pounds
from openpbr.payment.settle import month_windows, settle

SCENARIOS = {
    "block": "- {{type: block, annual_value: \"{block}\"}}",
    "cluster per day": "- {{type: cluster_activity, unit: per_cluster_day, price_schedule: {prices}}}",
    "cluster per period (pro rata)": "- {{type: cluster_activity, unit: per_cluster_period, transfer_rule: pro_rata_days, price_schedule: {prices}}}",
    "cluster per period (owner)": "- {{type: cluster_activity, unit: per_cluster_period, transfer_rule: period_owner, price_schedule: {prices}}}",
    "capitation": "- {{type: capitation, annual_rate: \"{rate}\", risk_weights: {{standard: \"1.0\", high: \"1.6\"}}}}",
}


def scenario_contract(name: str, body: str, provider: str, commissioner: str, start: date, end: date) -> Contract:
    text = (f"contract_id: WHATIF-{name.upper().replace(' ', '-').replace('(', '').replace(')', '')}\n"
            f"commissioner: {commissioner}\nprovider: {provider}\nvalid_from: {start}\nvalid_to: {end}\nmodels:\n  {body}\n")
    return parse_contract(text, f"what-if {name}")


def compare_models(bundle: ActivityBundle, provider: str, commissioner: str, start: date, end: date,
                   block_annual: str, capitation_rate: str, prices: str = "payment_cluster_prices_demo") -> list[dict]:
    """Monthly totals (pence) per scenario for [start, end)."""
    contracts = [scenario_contract(n, t.format(block=block_annual, rate=capitation_rate, prices=prices),
                                   provider, commissioner, start, end) for n, t in SCENARIOS.items()]
    rows = []
    for a, b in month_windows(start, end):
        run = settle(contracts, bundle, a, b, mode="shadow")
        row = {"month": a.strftime("%Y-%m")}
        for name, c in zip(SCENARIOS, contracts):
            row[name] = run.statement(c.contract_id).total
        rows.append(row)
    return rows


def price_change(bundle: ActivityBundle, contract: Contract, start: date, end: date, new_prices: str) -> list[dict]:
    """Monthly totals under the contract's own prices and under ``new_prices`` (a schedule name or file)."""
    models = [m.model_copy(update={"price_schedule": new_prices}) if m.type == "cluster_activity" else m
              for m in contract.models]
    changed = contract.model_copy(update={"contract_id": contract.contract_id + "+NEW", "models": models,
                                          "digest": contract.digest + "+" + new_prices})
    rows = []
    for a, b in month_windows(start, end):
        run = settle([contract, changed], bundle, a, b, mode="shadow")
        base, new = run.statement(contract.contract_id).total, run.statement(changed.contract_id).total
        rows.append({"month": a.strftime("%Y-%m"), "current": base, "new": new, "change": new - base})
    return rows


def table_text(rows: list[dict]) -> str:
    cols = list(rows[0])
    out = [" | ".join(cols)]
    totals = {c: sum(r[c] for r in rows) for c in cols[1:]}
    for r in rows + [{"month": "TOTAL", **totals}]:
        out.append(" | ".join([r[cols[0]]] + [fmt(r[c]) for c in cols[1:]]))
    return "\n".join(out)


def chart(rows: list[dict], path: str | Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = list(rows[0])[1:]
    months = [r["month"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 5))
    for c in cols:
        ax.plot(months, [float(pounds(r[c])) for r in rows], marker="o", label=c)
    ax.set_title(title)
    ax.set_ylabel("GBP per month")
    ax.tick_params(axis="x", rotation=45)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    from openpbr.io.safe import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return Path(path)


__all__ = ["compare_models", "price_change", "table_text", "chart"]
