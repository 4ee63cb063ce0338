"""Every role's main journey in headless Chromium, with JavaScript on and off, with axe-core on every page."""

from __future__ import annotations

import pytest

from tests.web.browser import check_page, error_links_move_focus
from tests.web.conftest import people

pytestmark = pytest.mark.browser


def tag(page, name: str) -> str:
    return f"{name}-{'js' if page.js else 'nojs'}"


def nav(page, locator) -> None:
    """Click something that loads a new page, and wait for that page."""
    with page.expect_navigation():
        locator.click()


def sign_in(page, user: str, person: str | None = None) -> None:
    page.goto("/sign-in")
    if person:
        page.select_option("#person", person)
        nav(page, page.get_by_role("button", name="Sign in as this person"))
    else:
        page.locator(f"input[name=user][value='{user}']").check()
        nav(page, page.get_by_role("button", name="Sign in as this member of staff"))
    page.wait_for_load_state()


def test_public_pages(page):
    for path, name in (("/", "start"), ("/services", "services"), ("/sign-in", "sign-in"),
                       ("/accessibility", "accessibility")):
        page.goto(path)
        check_page(page, tag(page, f"public-{name}"))
    # A sign-in without choosing anyone: the error summary takes you to the question.
    page.goto("/sign-in")
    nav(page, page.get_by_role("button", name="Sign in as this member of staff"))
    check_page(page, tag(page, "public-sign-in-error"), expect_status_title="Error: ")
    assert error_links_move_focus(page) == 1


def test_service_user_journey(page, web_trust):
    me = people(web_trust, 1)[0]
    sign_in(page, "service-user", person=me)
    assert page.url.endswith("/my-care")
    check_page(page, tag(page, "service-user-my-care"))
    assert page.get_by_role("heading", name="My next review").is_visible()
    assert page.get_by_text("You do not pay").is_visible()
    nav(page, page.get_by_role("link", name="Get this as a letter to print or save"))
    check_page(page, tag(page, "service-user-letter"))
    page.emulate_media(media="print")
    assert not page.locator("header.nhsuk-header").is_visible()
    page.emulate_media(media="screen")
    page.goto("/my-care/access")
    check_page(page, tag(page, "service-user-access"))
    page.goto(f"/people/{me}")
    assert page.title().startswith("Page not found")


def test_clinician_mhct_journey(page, web_trust):
    person = people(web_trust, 4)[1 if page.js else 2]
    sign_in(page, "clinician")
    assert page.url.endswith("/caseload")
    check_page(page, tag(page, "clinician-caseload"))
    nav(page, page.get_by_role("link", name=person))
    check_page(page, tag(page, "clinician-person"))
    nav(page, page.get_by_role("link", name="Record an MHCT assessment"))
    check_page(page, tag(page, "clinician-mhct-form"))
    # Submitting with ratings missing: every missing item is listed and its link focuses it.
    nav(page, page.get_by_role("button", name="See the suggested cluster"))
    check_page(page, tag(page, "clinician-mhct-form-errors"), expect_status_title="Error: ")
    assert error_links_move_focus(page) >= 18
    ratings = {"item_07": "3", "item_08": "2", "item_09": "2"}
    from openpbr.clustering.ratings import ITEM_CODES

    for code in ITEM_CODES:
        page.locator(f"input[name={code}][value='{ratings.get(code, '0')}']").check(force=True)
    page.select_option("#item_08_type", "B")
    entered = set(ITEM_CODES) | {"assessed_on", "reason", "item_08_type"}
    nav(page, page.get_by_role("button", name="See the suggested cluster"))
    check_page(page, tag(page, "clinician-mhct-suggestion"))
    assert page.get_by_role("heading", name="Candidates").is_visible()
    assert page.get_by_text("Nothing has been saved yet.").is_visible()
    # No redundant entry: nothing typed on the form is asked for again.
    asked = set(page.eval_on_selector_all("form input:not([type=hidden]), form select, form textarea",
                                          "els => els.map(e => e.name)"))
    assert not (asked & entered), asked & entered
    # Going back to change the ratings keeps what was entered.
    nav(page, page.get_by_role("link", name="Change the ratings"))
    assert page.locator("input[name=item_07][value='3']").is_checked()
    assert page.locator("#item_08_type").input_value() == "B"
    nav(page, page.get_by_role("button", name="See the suggested cluster"))
    # Override without a reason: refused, and the error link focuses the reason.
    page.locator("input[name=decision][value=override]").check(force=True)
    page.select_option("#chosen_cluster", "21")
    nav(page, page.get_by_role("button", name="Save assessment and decision"))
    check_page(page, tag(page, "clinician-mhct-override-error"), expect_status_title="Error: ")
    error_links_move_focus(page)
    page.locator("input[name=decision][value=confirm]").check(force=True)
    if page.locator("#transition_reason").count():
        page.fill("#transition_reason", "Agreed with the person at review")
    nav(page, page.get_by_role("button", name="Save assessment and decision"))
    page.get_by_text("Assessment and cluster decision saved").wait_for()
    check_page(page, tag(page, "clinician-person-saved"))


def test_clinician_register_and_worklist(page):
    sign_in(page, "clinician")
    page.goto("/people/new")
    check_page(page, tag(page, "clinician-register"))
    nav(page, page.get_by_role("button", name="Register"))
    check_page(page, tag(page, "clinician-register-errors"), expect_status_title="Error: ")
    assert error_links_move_focus(page) == 4
    page.fill("#nhs_number", "9990000026" if page.js else "9990000018")
    page.fill("#birth_year", "1975")
    page.locator("input[name=psychosis_history][value=no]").check(force=True)
    page.select_option("#commissioner", "02X")
    nav(page, page.get_by_role("button", name="Register"))
    page.get_by_text("Person registered as").wait_for()
    page.goto("/worklist")
    check_page(page, tag(page, "clinician-worklist"))
    nav(page, page.get_by_role("link", name="Days overdue"))
    assert "sort=days_overdue" in page.url
    page.select_option("#status", "overdue")
    nav(page, page.get_by_role("button", name="Filter"))
    assert "status=overdue" in page.url and "sort=days_overdue" in page.url
    check_page(page, tag(page, "clinician-worklist-filtered"))


def test_role_switch_changes_what_shows(page):
    sign_in(page, "multi")
    assert page.url.endswith("/caseload")
    assert page.get_by_role("link", name="Caseload").first.is_visible()
    page.select_option("#role-switch", "provider_finance:R01")
    nav(page, page.get_by_role("button", name="Switch role"))
    assert not page.url.endswith("/caseload")
    assert page.locator("nav.nhsuk-header__navigation a", has_text="Caseload").count() == 0
    page.goto("/caseload")
    check_page(page, tag(page, "multi-caseload-as-finance-404"))
    assert page.title().startswith("Page not found")


def test_person_outside_scope_is_a_404_page(page, web_trust):
    other = people(web_trust, 1, provider="R02", team=None)[0]
    sign_in(page, "clinician")
    response = page.goto(f"/people/{other}")
    assert response.status == 404
    check_page(page, tag(page, "clinician-outside-scope-404"))


@pytest.mark.parametrize("user", ["analyst", "admin", "auditor", "team-lead"])
def test_reference_data_pages(page, user):
    sign_in(page, user)
    page.goto("/reference")
    check_page(page, tag(page, f"{user}-reference"))
    nav(page, page.get_by_role("link", name="payment.cluster_prices.demo").first)
    check_page(page, tag(page, f"{user}-reference-detail"))


def test_finance_journey(page):
    sign_in(page, "finance")
    assert page.url.endswith("/settlement")
    check_page(page, tag(page, "finance-settlement"))
    nav(page, page.get_by_role("button", name="Settle"))
    check_page(page, tag(page, "finance-settlement-error"), expect_status_title="Error: ")
    error_links_move_focus(page)
    page.select_option("#month", "2024-03")
    nav(page, page.get_by_role("button", name="Settle"))
    check_page(page, tag(page, "finance-run"))
    nav(page, page.get_by_role("link", name="R01-01X-CLUSTER"))
    check_page(page, tag(page, "finance-statement"))
    assert page.get_by_text("Settled").first.is_visible()
    lines = page.eval_on_selector_all("a[href*='/lines/']", "els => els.map(e => e.getAttribute('href'))")
    for href in lines:  # the first line priced per cluster (its trace names the cluster) opens its people
        page.goto(href)
        if page.get_by_role("link", name="See the people behind this line").count():
            break
    check_page(page, tag(page, "finance-line-trace"))
    nav(page, page.get_by_role("link", name="See the people behind this line"))
    check_page(page, tag(page, "finance-line-people"))
    page.goto("/income?month=2024-03")
    check_page(page, tag(page, "finance-income"))
    page.goto("/indicators")
    check_page(page, tag(page, "finance-indicators"))


def test_commissioner_journey(page):
    sign_in(page, "commissioner")
    page.goto("/indicators")
    check_page(page, tag(page, "commissioner-indicators"))
    assert page.locator("svg.openpbr-chart").count() >= 1
    page.goto("/gaming")
    check_page(page, tag(page, "commissioner-gaming"))
    assert page.get_by_text("checks run").first.is_visible()
    page.goto("/report")
    check_page(page, tag(page, "commissioner-report"))
    page.goto("/settlement")
    check_page(page, tag(page, "commissioner-settlement"))


def test_analyst_upload_journey(page, web_trust, tmp_path):
    from tests.web.test_import_pages import _files

    files = _files(tmp_path, web_trust)
    sign_in(page, "analyst")
    page.goto("/imports")
    check_page(page, tag(page, "analyst-upload"))
    nav(page, page.get_by_role("button", name="Upload and import"))
    check_page(page, tag(page, "analyst-upload-errors"), expect_status_title="Error: ")
    assert error_links_move_focus(page) == 3
    for name, content in files.items():
        if name in ("MHS801", "MHS802", "MHS803"):
            page.set_input_files(f"#{name.lower()}", files=[{"name": f"{name}.csv", "mimeType": "text/csv",
                                                             "buffer": content}])
    nav(page, page.get_by_role("button", name="Upload and import"))
    for _ in range(300):  # at most a minute; with JavaScript the page refreshes itself (titles pass through "Loading")
        title = page.title()
        if not title.startswith(("MHSDS upload progress", "Loading")):
            break
        if not page.js and title.startswith("MHSDS upload progress"):
            nav(page, page.get_by_role("link", name="Check progress"))
        else:
            page.wait_for_timeout(200)
    assert page.title().startswith("MHSDS upload finished"), page.title()
    check_page(page, tag(page, "analyst-upload-finished"))


def test_admin_users_and_roles(page):
    sign_in(page, "admin")
    page.goto("/roles")
    check_page(page, tag(page, "admin-roles"))
    assert page.get_by_role("row", name="users:admin").is_visible()
