"""Agreement between clinicians' final clusters and the clusters a profile set suggests.

A disagreement is not necessarily an error of the profile: with a profile
learned from the same history it mostly shows where clinicians' choices are
not explained by their own ratings (label noise, context the MHCT does not
record, or neighbouring clusters that are hard to tell apart).
"""

from __future__ import annotations

from openpbr.io.safe import atomic_path, write_csv_rows

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from openpbr.clustering.ratings import SCORED_CLUSTERS

SUGGESTED = (*SCORED_CLUSTERS, "00")  # column labels: suggested cluster, 00 = variance
VARIANCE = len(SCORED_CLUSTERS)


@dataclass(frozen=True)
class Agreement:
    matrix: np.ndarray  # [K, K+1] rows: clinician cluster, columns: suggested (last = 00)

    @classmethod
    def of(cls, clinician: np.ndarray, suggested: np.ndarray) -> "Agreement":
        k = len(SCORED_CLUSTERS)
        m = np.bincount(clinician.astype(np.int64) * (k + 1) + suggested, minlength=k * (k + 1)).reshape(k, k + 1)
        return cls(matrix=m)

    @property
    def rows(self) -> int:
        return int(self.matrix.sum())

    @property
    def agreed(self) -> int:
        return int(np.trace(self.matrix[:, : len(SCORED_CLUSTERS)]))

    @property
    def agreement(self) -> float:
        return self.agreed / self.rows if self.rows else 0.0

    @property
    def variance_share(self) -> float:
        return float(self.matrix[:, VARIANCE].sum() / self.rows) if self.rows else 0.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa over the 21 codes (a clinician never records 00 here, so its row margin is 0)."""
        n = self.rows
        if n == 0:
            return 0.0
        row = np.append(self.matrix.sum(axis=1), 0) / n
        col = self.matrix.sum(axis=0) / n
        expected = float((row * col).sum())
        return (self.agreement - expected) / (1 - expected) if expected < 1 else 1.0

    def per_cluster(self) -> list[dict]:
        k = len(SCORED_CLUSTERS)
        out = []
        for i, c in enumerate(SCORED_CLUSTERS):
            support = int(self.matrix[i].sum())
            suggested = int(self.matrix[:, i].sum())
            hit = int(self.matrix[i, i])
            out.append(
                {
                    "cluster": c,
                    "support": support,
                    "suggested": suggested,
                    "agreed": hit,
                    "precision": round(hit / suggested, 4) if suggested else None,
                    "recall": round(hit / support, 4) if support else None,
                    "to_variance": int(self.matrix[i, k]),
                }
            )
        return out

    def lowest_recall(self, n: int = 5, min_support: int = 10) -> list[dict]:
        rows = [r for r in self.per_cluster() if r["support"] >= min_support]
        return sorted(rows, key=lambda r: (r["recall"], r["cluster"]))[:n]

    def disagreements(self, n: int = 10) -> list[dict]:
        """Most frequent (clinician cluster, suggested cluster) pairs off the diagonal, 00 included."""
        pairs = []
        for i, c in enumerate(SCORED_CLUSTERS):
            support = int(self.matrix[i].sum())
            for j, s in enumerate(SUGGESTED):
                if i != j and self.matrix[i, j]:
                    cnt = int(self.matrix[i, j])
                    pairs.append({"clinician": c, "suggested": s, "rows": cnt, "share_of_clinician_cluster": round(cnt / support, 4)})
        return sorted(pairs, key=lambda p: (-p["rows"], p["clinician"], p["suggested"]))[:n]

    def summary(self) -> dict:
        return {"rows": self.rows, "agreement": round(self.agreement, 4), "kappa": round(self.kappa, 4), "variance_share": round(self.variance_share, 4)}


def _write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    write_csv_rows(path, list(header), (list(r) for r in rows))  # atomic, ids Excel-safe


def _fmt(v: object) -> str:
    return "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def write_report(directory: str | Path, agreement: Agreement, metadata: dict, skipped: Iterable) -> list[Path]:
    """Markdown summary plus CSV files (confusion matrix, per cluster, disagreements, skipped rows)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    files = [d / "confusion.csv", d / "per_cluster.csv", d / "disagreements.csv", d / "skipped_rows.csv", d / "report.md"]
    _write_csv(files[0], ["clinician\\suggested", *SUGGESTED], ([c, *map(int, row)] for c, row in zip(SCORED_CLUSTERS, agreement.matrix)))
    per = agreement.per_cluster()
    _write_csv(files[1], per[0].keys(), ([_fmt(v) for v in r.values()] for r in per))
    dis = agreement.disagreements(50)
    _write_csv(files[2], ["clinician", "suggested", "rows", "share_of_clinician_cluster"], ([_fmt(v) for v in r.values()] for r in dis))
    _write_csv(files[3], ["line", "assessment_id", "code", "message"], ([s.line, s.assessment_id, s.code, s.message] for s in skipped))
    with atomic_path(files[4]) as tmp:
        tmp.write_text(markdown(agreement, metadata), encoding="utf-8")
    return files


def markdown(agreement: Agreement, metadata: dict) -> str:
    s = agreement.summary()
    lines = [
        "# Calibration report",
        "",
        f"Profile set `{metadata.get('profile_set', '')}` version `{metadata.get('version', '')}`, method `{metadata.get('method', '')}`.",
        "",
        f"- rows used: {metadata.get('rows_used')}; rows skipped: {metadata.get('rows_skipped')} {metadata.get('skipped_by_code', {})}",
        f"- agreement (suggested = clinician's final cluster, 00 counts as disagreement): {s['agreement']:.3f}",
        f"- Cohen's kappa: {s['kappa']:.3f}",
        f"- share suggested 00 (variance): {s['variance_share']:.3f}",
    ]
    hold = metadata.get("holdout")
    if hold:
        lines += ["", f"## Held-out comparison ({hold['rows']} rows not used for learning)", "", "| profiles | top-ranked = clinician | agreement incl. 00 | kappa |", "|---|---|---|---|"]
        for name, v in hold["methods"].items():
            lines.append(f"| {name} | {v['top1']:.3f} | {v['agreement']:.3f} | {v['kappa']:.3f} |")
    lines += ["", "## Per cluster", "", "| cluster | support | suggested | precision | recall | to 00 |", "|---|---|---|---|---|---|"]
    for r in agreement.per_cluster():
        lines.append(f"| {r['cluster']} | {r['support']} | {r['suggested']} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | {r['to_variance']} |")
    lines += ["", "## Where clinicians disagree with their own ratings most", "", "Lowest recall (clinician's cluster least often suggested):", ""]
    for r in agreement.lowest_recall():
        lines.append(f"- {r['cluster']}: recall {_fmt(r['recall'])} of {r['support']} rows")
    lines += ["", "Most frequent clinician -> suggested pairs:", "", "| clinician | suggested | rows | share of clinician's cluster |", "|---|---|---|---|"]
    for p in agreement.disagreements():
        lines.append(f"| {p['clinician']} | {p['suggested']} | {p['rows']} | {p['share_of_clinician_cluster']:.3f} |")
    lines += ["", "Full tables: confusion.csv, per_cluster.csv, disagreements.csv, skipped_rows.csv.", ""]
    return "\n".join(lines)


def console_tables(agreement: Agreement):
    """Rich tables for the terminal: per-cluster figures and the top disagreements."""
    from rich.table import Table

    s = agreement.summary()
    per = Table(title=f"Agreement {s['agreement']:.3f}  kappa {s['kappa']:.3f}  00 share {s['variance_share']:.3f}  ({s['rows']} rows)")
    for col in ("cluster", "support", "suggested", "precision", "recall", "to 00"):
        per.add_column(col, justify="right")
    for r in agreement.per_cluster():
        per.add_row(r["cluster"], str(r["support"]), str(r["suggested"]), _fmt(r["precision"]), _fmt(r["recall"]), str(r["to_variance"]))
    dis = Table(title="Most frequent disagreements (clinician -> suggested)")
    for col in ("clinician", "suggested", "rows", "share"):
        dis.add_column(col, justify="right")
    for p in agreement.disagreements():
        dis.add_row(p["clinician"], p["suggested"], str(p["rows"]), f"{p['share_of_clinician_cluster']:.3f}")
    return per, dis
