"""Server-rendered SVG XmR charts, accessible by construction.

Each chart has a title and a description naming what it shows, marks
special-cause months by shape as well as colour, and is always drawn beside
a table of the same numbers and a one-line reading (see the template).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from openpbr.web.outcomes import Chart, _fmt

W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 48
BLUE, GREY, RED, GREEN, ORANGE, TEXT = "#005eb8", "#4c6272", "#d5281b", "#007f3b", "#ed8b00", "#212b32"


def xmr_svg(c: Chart, chart_id: str) -> Markup:
    vals = [p.value for p in c.points]
    lo = min(vals + [c.lcl, c.mean])
    hi = max(vals + [c.ucl, c.mean])
    if c.kind == "proportion":
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    n = len(c.points)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (pw * (i + 0.5) / max(n, 1))

    def y(v: float) -> float:
        return TOP + ph * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg class="openpbr-chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" focusable="false">',
             f'<title id="{chart_id}-title">{escape(c.title)}: {escape(c.unit)}, XmR chart</title>',
             f'<desc id="{chart_id}-desc">{escape(c.reading)} The table beside this chart has every value.</desc>',
             f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#d8dde0"/>']
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        parts.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="12" text-anchor="end" fill="{TEXT}">{escape(_fmt(c.kind, v))}</text>')
    labelled: list[float] = []
    for v, label, dash in ((c.mean, "Mean", ""), (c.ucl, "Upper limit", "6 4"), (c.lcl, "Lower limit", "6 4")):
        if lo <= v <= hi:
            parts.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GREY}" stroke-width="1.5"'
                         + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            if all(abs(y(v) - other) >= 14 for other in labelled):  # never print labels over each other
                labelled.append(y(v))
                parts.append(f'<text x="{LEFT + pw - 4}" y="{y(v) - 4:.1f}" font-size="12" text-anchor="end" fill="{TEXT}">{label}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(c.points))
    parts.append(f'<path d="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for i, p in enumerate(c.points):
        cx, cy = x(i), y(p.value)
        if p.signal == "common_cause":
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{BLUE}"/>')
        else:  # special cause: a larger triangle (shape, not colour alone)
            col = {"improvement": GREEN, "concern": RED}.get(p.signal, ORANGE)
            parts.append(f'<path d="M{cx:.1f},{cy - 8:.1f} L{cx + 7:.1f},{cy + 5:.1f} L{cx - 7:.1f},{cy + 5:.1f} Z" '
                         f'fill="{col}" stroke="{TEXT}" stroke-width="1"/>')
        if n <= 12 or i % max(n // 12, 1) == 0:
            parts.append(f'<text x="{cx:.1f}" y="{H - BOTTOM + 18}" font-size="12" text-anchor="middle" fill="{TEXT}">{escape(p.period)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
