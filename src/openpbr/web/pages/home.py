"""The start page, the public services-and-prices page and the accessibility statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request

from openpbr.access import Role
from openpbr.web.app import redirect
from openpbr.web.templating import render
from openpbr.web.viewer import AnyViewer, today

router = APIRouter()

START = {
    Role.SERVICE_USER: "/my-care", Role.CLINICIAN: "/caseload", Role.TEAM_LEAD: "/caseload",
    Role.PROVIDER_FINANCE: "/settlement", Role.COMMISSIONER: "/settlement", Role.ANALYST: "/worklist",
    Role.ADMIN: "/reference", Role.AUDITOR: "/reference",
}

# What each super class means, for people choosing care (display words, not rules).
SUPER_CLASS_WORDS = {
    "A": "Care for mental health problems that are not psychosis, such as depression or anxiety",
    "B": "Care for psychosis, such as hearing or seeing things others do not, or strongly held unusual beliefs",
    "C": "Care for memory problems and dementia",
    None: "Care planned for one person when no care cluster fits yet",
}


@router.get("/")
def start(request: Request, viewer: AnyViewer):
    if viewer is not None:
        return redirect(START.get(viewer.role, "/services"))
    return render(request, "start.html", title="Payment by Results for mental health care")


def price_rows(on: date) -> tuple[list[dict], str, bool]:
    """Each cluster with its plain meaning, care package, and the price in force on ``on``."""
    from openpbr.payment.prices import load_schedule
    from openpbr.records.careplans import package_for
    from openpbr.reference import builtin_dataset

    clusters = builtin_dataset("clusters")
    schedule = load_schedule("payment_cluster_prices_demo")
    prices = schedule.dataset
    rows = []
    for e in clusters.in_force(on):
        if not e.value.get("allocatable", True):
            continue
        code = e.key
        try:
            price = prices.resolve(code, on)
        except LookupError:
            price = None
        pkg = package_for(code, on)
        rows.append(dict(
            code=code, name=e.value["name"], meaning=SUPER_CLASS_WORDS.get(e.value.get("super_class")),
            package=pkg.name, interventions=", ".join(pkg.interventions), frequency=pkg.frequency,
            per_day=Decimal(price.value["per_day"]) if price else None,
            per_period=Decimal(price.value["per_period"]) if price else None,
            provisional=(price.provenance.provisional if price else True) or pkg.provisional,
        ))
    rows.sort(key=lambda r: r["code"])
    return rows, prices.ref, schedule.status.value != "Live"


@router.get("/services")
def services(request: Request, viewer: AnyViewer):
    on = today(request)
    rows, ref, not_live = price_rows(on)
    return render(request, "services.html", title="Services and prices", rows=rows, ref=ref, on=on, not_live=not_live)


@router.get("/accessibility")
def accessibility(request: Request, viewer: AnyViewer):
    return render(request, "accessibility.html", title="Accessibility statement")
