"""Supplies in real Chromium with touch at 1280x800, with a real `kiosk scheduler` process answering
"run check now": count a location with the steppers, the number pad and a bin scan, run the check,
and see the reorders that the scheduler sent to the FHIR server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.supplies.counts import Counter, last_counts, record_counts
from kiosk.supplies.fhir import read_by_ids
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.scanner import scan
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule
from tests.support.supplies import supplies_of, unit_env

ON_REQUEST_ONLY = "[scheduler]\nlease_seconds = 5\npoll_seconds = 0.5\n"


@dataclass
class SuppliesSite:
    server: LiveServer
    app: Flask
    scheduler: SchedulerRun
    unit: UnitRef

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database(self) -> Database:
        return self.app.extensions["kiosk"].database


@pytest.fixture
def site(make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[SuppliesSite]:
    """The kiosk on a unit of its own, and a scheduler process sharing its database."""
    unit = make_unit(2)
    app = make_app(**unit_env(unit))
    settings = app.extensions["kiosk"].settings
    server = LiveServer(app).start()
    env = scheduler_env({"KIOSK_FHIR_BASE_URL": settings.fhir.base_url, "KIOSK_DATABASE_URL": settings.database_url,
                         "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production", **unit_env(unit)},
                        write_schedule(tmp_path / "sched", text=ON_REQUEST_ONLY))
    scheduler = start_scheduler(env, tmp_path / "sched")
    scheduler.wait_for("Scheduler started")
    yield SuppliesSite(server=server, app=app, scheduler=scheduler, unit=unit)
    assert scheduler.stop() == 0
    server.stop()


def row(page: Page, description: str):  # type: ignore[no-untyped-def]
    return page.locator(".count-row", has=page.locator(".count-desc", has_text=description))


def test_count_the_crash_cart_run_the_check_and_see_the_reorders(page: Page, site: SuppliesSite,
                                                                  gateway: FhirGateway) -> None:
    sign_in(page, site.url, Role.UNIT_SECRETARY)
    page.goto(site.url + "/supplies/")
    expect(page.locator(".last-check")).to_contain_text("No supply check has run yet.")
    page.locator(".location-tile", has_text="Crash cart").tap()
    expect(page.locator("h1")).to_have_text("Count · Crash cart")

    # Defibrillator pads: select the row, then 0 on the number pad.
    row(page, "Defibrillator pads, adult").locator(".count-desc").tap()
    page.locator(".numpad [data-key='0']").tap()
    # Bag-valve-mask: the + stepper twice.
    bvm = row(page, "Bag-valve-mask resuscitator, adult")
    bvm.locator("[data-step='1']").tap()
    bvm.locator("[data-step='1']").tap()
    # Endotracheal tube: scan its bin label, which jumps to it; then 1 on the pad.
    scan(page, "4W-CC-03")
    tube = row(page, "Endotracheal tube 7.5 mm, cuffed")
    expect(tube).to_contain_class("is-selected")
    expect(page.locator(".scan-message")).to_have_text("Bin 4W-CC-03: Endotracheal tube 7.5 mm, cuffed")
    page.locator(".numpad [data-key='1']").tap()
    # A bin of another location says where it belongs, and changes nothing here.
    scan(page, "4W-SR-A01")
    expect(page.locator(".scan-message")).to_contain_text("Bin 4W-SR-A01 belongs to Supply room.")
    # Scanned while a count field has the focus: the scanner's characters do not stay in that field.
    pads = row(page, "Defibrillator pads, adult")
    pads.locator(".count-input").tap()
    scan(page, "4W-CC-03")
    expect(page.locator(".scan-message")).to_have_text("Bin 4W-CC-03: Endotracheal tube 7.5 mm, cuffed")
    expect(pads.locator(".count-input")).to_have_value("0")
    expect(tube.locator(".count-input")).to_be_focused()
    # Oral airways: + once, then - twice stops at zero, + once again.
    airway = row(page, "Oral airway kit, assorted")
    for step in ("1", "-1", "-1", "1"):
        airway.locator(f"[data-step='{step}']").tap()
    row(page, "Intraosseous needle set, adult").locator(".count-desc").tap()
    page.locator(".numpad [data-key='2']").tap()

    values = {d: row(page, d).locator(".count-input").input_value() for d in (
        "Defibrillator pads, adult", "Bag-valve-mask resuscitator, adult", "Endotracheal tube 7.5 mm, cuffed",
        "Oral airway kit, assorted", "Intraosseous needle set, adult", "Backboard for CPR")}
    assert values == {"Defibrillator pads, adult": "0", "Bag-valve-mask resuscitator, adult": "2",
                      "Endotracheal tube 7.5 mm, cuffed": "1", "Oral airway kit, assorted": "1",
                      "Intraosseous needle set, adult": "2", "Backboard for CPR": ""}
    for control in (bvm.locator(".step").first, page.locator(".numpad-key").first, page.locator(".save-count")):
        box = laid_out_box(control)
        assert box and box["width"] >= 48 and box["height"] >= 48
    save_screenshot(page, "supplies-count")

    page.locator(".save-count").tap()
    page.wait_for_url("**/supplies/?counted=CRASH")
    expect(page.locator(".saved-note")).to_have_text("Count saved for Crash cart.")
    counts = last_counts(site.database, "CRASH")
    assert {code: c.quantity for (_, code), c in counts.items()} == {
        "300110": 0, "300120": 2, "300130": 1, "300140": 1, "300150": 2}
    assert {c.counted_by for c in counts.values()} == {"Dana Reyes"}

    # Run check now: the scheduler process runs its job and answers; the page shows the reorders.
    page.locator(".run-check-button").tap()
    expect(page.locator(".check-answer")).to_contain_text("Check done", timeout=30_000)
    expect(page.locator(".last-check-result")).to_contain_text(
        "Reorders sent. Checked 54 items: 2 at or below reorder point; 2 reorders sent;")
    expect(page.locator(".last-check-when")).to_contain_text("asked for by Dana Reyes")
    reorders = page.locator(".reorder-row")
    expect(reorders).to_have_count(2)
    expect(reorders.nth(0)).to_contain_text("Defibrillator pads, adult")
    expect(reorders.nth(0)).to_contain_text("2 pair")
    expect(reorders.nth(0)).to_contain_text("STAT")
    expect(reorders.nth(0).locator(".reorder-status")).to_have_text("Requested")
    expect(reorders.nth(1)).to_contain_text("Endotracheal tube 7.5 mm, cuffed")
    expect(reorders.nth(1)).to_contain_text("Routine")
    assert "Ran supply-check (request #" in site.scheduler.log()
    ids = [reorders.nth(i).get_attribute("data-supply-request") for i in range(2)]
    on_server = read_by_ids(gateway, ids)  # type: ignore[arg-type]
    assert sorted(r["quantity"]["value"] for r in on_server.values()) == [1, 2]
    expect(page.locator("#below-par")).to_contain_text("Defibrillator pads, adult")
    save_screenshot(page, "supplies-page")

    # While the pads are at zero the home screen says so.
    page.locator(".brand").tap()
    alert = page.locator(".supply-alert")
    expect(alert).to_contain_text("1 supply item with none left")
    expect(alert).to_contain_text("Defibrillator pads, adult (Crash cart)")
    save_screenshot(page, "home-supply-alert")


def test_a_count_that_is_not_a_whole_number_is_refused_and_what_was_typed_is_kept(page: Page,
                                                                                 site: SuppliesSite) -> None:
    # Earlier counts: flushes and gowns two days ago (stale), catheters this morning below their reorder point.
    supply_room = supplies_of(site.app).par.location("SUPPLY")
    now = datetime.now(UTC)
    record_counts(site.database, supply_room, {"100410": 150, "100910": 40}, Counter("4W-NS-1", "1", "Sam Lee"),
                  now - timedelta(days=2))
    record_counts(site.database, supply_room, {"100220": 12}, Counter("4W-NS-1", "1", "Sam Lee"),
                  now - timedelta(hours=3))
    sign_in(page, site.url, Role.UNIT_SECRETARY)
    page.goto(site.url + "/supplies/count/SUPPLY")
    expect(row(page, "Saline flush syringe 10 mL").locator(".stock-badge")).to_have_text("Stale count")
    expect(row(page, "Isolation gown, yellow, universal")).to_contain_class("stock-row-stale")
    expect(row(page, "IV catheter 20 G x 1 in").locator(".stock-badge")).to_have_text("To reorder")
    expect(row(page, "IV catheter 20 G x 1 in").locator(".count-last")).to_contain_text("12 at")
    save_screenshot(page, "supplies-count-marked")
    kits = row(page, "IV start kit")
    kits.locator(".count-input").tap()
    page.keyboard.type("2.5", delay=120)  # a person at a keyboard, not a scanner
    gloves = row(page, "Exam gloves, nitrile, medium")
    gloves.locator(".count-desc").tap()
    for key in ("1", "4"):
        page.locator(f".numpad [data-key='{key}']").tap()
    page.locator(".save-count").tap()

    expect(page.locator(".count-problem")).to_have_text(
        "Nothing was saved: 1 count needs fixing (marked below). What you typed is kept.")
    expect(kits.locator(".field-error")).to_have_text("Count whole units: 2.5 is not a whole number.")
    expect(kits).to_contain_class("has-error")
    expect(kits.locator(".count-input")).to_have_value("2.5")
    expect(gloves.locator(".count-input")).to_have_value("14")
    assert {code for (_, code) in last_counts(site.database, "SUPPLY")} == {"100410", "100910", "100220"}
    kits.scroll_into_view_if_needed()
    save_screenshot(page, "supplies-count-refused")

    # Fixed with the pad: the refused field is the one selected.
    page.locator(".numpad [data-key='clear']").tap()
    page.locator(".numpad [data-key='3']").tap()
    page.locator(".save-count").tap()
    page.wait_for_url("**/supplies/?counted=SUPPLY")
    saved = {code: c.quantity for (_, code), c in last_counts(site.database, "SUPPLY").items()}
    assert saved == {"100112": 3, "100802": 14, "100410": 150, "100910": 40, "100220": 12}


def test_a_provider_sees_supplies_but_cannot_count_or_ask_for_a_check(page: Page, site: SuppliesSite) -> None:
    sign_in(page, site.url, Role.PROVIDER)
    page.goto(site.url + "/supplies/")
    expect(page.locator(".run-check-button")).to_have_count(0)
    expect(page.locator(".role-note")).to_contain_text("asked for by the unit secretary")
    page.locator(".location-tile", has_text="Supply room").tap()
    expect(page.locator(".save-count")).to_have_count(0)
    expect(page.locator(".role-note")).to_contain_text("saved by the unit secretary")
