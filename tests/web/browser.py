"""Browser checks for every page: axe-core (WCAG 2.2 AA) and what axe cannot see.

Debian's Chromium, driven by Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TITLE = re.compile(r"^(Error: )?[^–]+ – OpenPbR – NHS$")
MIN_TARGET = 24  # CSS px, WCAG 2.2 SC 2.5.8


def axe_source() -> str:
    text = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
    pinned = (VENDOR / "axe.min.js.sha256").read_text().split()[0]
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == pinned, "axe.min.js does not match its pinned hash"
    return text


_AXE = None


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run axe-core in the page (through the devtools protocol, so the page's CSP stays strict)."""
    global _AXE
    if _AXE is None:
        _AXE = axe_source()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


SMALL_TARGETS = """(min) => {
  const out = [];
  const sel = 'button, input:not([type=hidden]), select, textarea, summary, [role=button], nav a, .nhsuk-button';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || r.width === 0 || r.height === 0) continue;
    if (r.width < min || r.height < min) out.push(`${el.tagName.toLowerCase()}#${el.id || ''}.${el.className} ${r.width}x${r.height}`);
  }
  return out;
}"""

OBSCURED = """() => {
  // Focus each focusable thing in turn and check nothing (sticky or fixed) covers it.
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const hidden = [];
  const els = [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).slice(0, 80);
  for (const el of els) {
    el.focus();
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    if (!hit) continue;
    const ok = el.contains(hit) || hit.contains(el) && hit === el
      || (el.labels && [...el.labels].some(l => l.contains(hit)));
    if (!ok) {
      let n = hit; let covered = false;
      while (n) { const p = getComputedStyle(n).position; if (p === 'fixed' || p === 'sticky') { covered = true; break; } n = n.parentElement; }
      if (covered) hidden.push(el.outerHTML.slice(0, 80));
    }
  }
  if (document.activeElement) document.activeElement.blur();
  window.scrollTo(0, 0);
  return hidden;
}"""


SCRIPT_TAG = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


def inspectable(page):  # type: ignore[no-untyped-def]
    """The page to run the checks in.

    With JavaScript off, Chromium runs no timers, so axe cannot finish there.
    The same DOM is then loaded into a JavaScript-enabled checker page with
    every script removed and blocked, so it renders exactly as without
    JavaScript while axe (injected through the devtools protocol) can run.
    """
    if page.js:
        return page
    html = SCRIPT_TAG.sub("", page.content())
    url = page.url
    checker = page.checker
    checker.unroute_all()
    checker.route(lambda u: u == url, lambda route: route.fulfill(status=200, body=html,
                                                                    content_type="text/html; charset=utf-8"))
    checker.route("**/*.js", lambda route: route.abort())
    checker.goto(url)
    return checker


def check_page(page, name: str, *, expect_status_title: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Every check of one page, and its screenshot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    title = page.title()
    assert TITLE.match(title), f"{name}: title {title!r} is not 'Page – OpenPbR – NHS'"
    if expect_status_title:
        assert title.startswith(expect_status_title), title
    assert page.locator("h1").count() == 1, f"{name}: one h1 per page"
    page = inspectable(page)
    violations = axe_violations(page)
    assert violations == [], f"{name}: axe violations {violations}"
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert small == [], f"{name}: targets smaller than {MIN_TARGET}px: {small}"
    covered = page.evaluate(OBSCURED)
    assert covered == [], f"{name}: focused elements hidden under sticky or fixed content: {covered}"


def error_links_move_focus(page) -> int:  # type: ignore[no-untyped-def]
    """Each link of the error summary moves focus to its field; returns how many were checked."""
    links = page.locator(".nhsuk-error-summary a")
    n = links.count()
    assert n > 0, "no error summary"
    for i in range(n):
        href = links.nth(i).get_attribute("href")
        assert href and href.startswith("#")
        target = page.locator(href)
        assert target.count() == 1, f"error link {href} has no field"
        links.nth(i).click()
        focused = page.evaluate("() => document.activeElement && document.activeElement.id")
        assert focused == href[1:], f"error link {href} moved focus to {focused!r}"
    return n
