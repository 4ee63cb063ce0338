"""PNG charts: XmR (Making Data Count colours) and outcome funnel plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from openpbr.outcomes.spc import XmR  # noqa: E402

COLOURS = {"common_cause": "#7f7f7f", "improvement": "#361475", "concern": "#fab428", "neither": "#1f77b4"}


def xmr_png(chart: XmR, title: str, path: str | Path, percent: bool = False) -> Path:
    path = Path(path)
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    k = 100.0 if percent else 1.0
    x = np.arange(len(chart.values))
    ax.plot(x, chart.values * k, color="#7f7f7f", lw=1.2, zorder=1)
    for v in ("common_cause", "improvement", "concern", "neither"):
        m = np.array([c == v for c in chart.variation])
        if m.any():
            ax.scatter(x[m], chart.values[m] * k, color=COLOURS[v], s=28, zorder=2, label=v.replace("_", " "))
    ax.axhline(chart.mean * k, color="black", lw=1)
    ax.axhline(chart.ucl * k, color="#555555", lw=1, ls="--")
    ax.axhline(chart.lcl * k, color="#555555", lw=1, ls="--")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(chart.labels[::step], rotation=45, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("%" if percent else "value")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, path)
    plt.close(fig)
    return path


def funnel_png(funnel: dict, title: str, path: str | Path) -> Path:
    """Observed/expected reliable improvement against expected count, with 95% and 99.8% limits."""
    path = Path(path)
    e, o = funnel["expected"], funnel["observed"]
    ok = e > 0
    p = float(funnel["overall"])
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    grid = np.linspace(max(1.0, e[ok].min() * 0.5) if ok.any() else 1.0, (e[ok].max() * 1.2) if ok.any() else 10.0, 200)
    for zval, ls in ((1.96, ":"), (3.09, "--")):
        half = zval * np.sqrt(grid * (1 - p)) / grid
        ax.plot(grid, 1 + half, color="#555555", ls=ls, lw=1)
        ax.plot(grid, 1 - half, color="#555555", ls=ls, lw=1)
    ax.axhline(1, color="black", lw=1)
    ax.scatter(e[ok], o[ok] / e[ok], color="#1f77b4", zorder=3)
    for lab, xe, y in zip(np.asarray(funnel["labels"])[ok], e[ok], (o[ok] / e[ok])):
        ax.annotate(str(lab), (xe, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("expected reliable improvements (case-mix adjusted)")
    ax.set_ylabel("observed / expected")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, path)
    plt.close(fig)
    return path


def _save(fig, path: str | Path) -> None:
    """Saved under a temporary name and renamed: a failed or killed write leaves no broken PNG."""
    from openpbr.io.safe import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
