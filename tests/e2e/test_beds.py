"""The bed board in real Chromium with touch, at 1280x800, on units built for each test (the demo
4 West unit is only looked at, for the screenshots)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import codes
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.e2e.conftest import new_touch_context
from tests.support.auth import sign_in
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.scanner import scan


def open_board(page: Page, server: LiveServer, role: Role = Role.UNIT_SECRETARY) -> None:
    sign_in(page, server.url, role)
    page.goto(server.url + "/beds/")
    expect(page.locator(".bed").first).to_be_visible()


def tile(page: Page, bed_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f".bed[data-bed-id='{bed_id}']")


def panel(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#panel")


def test_admit_a_planned_patient_into_a_clean_bed(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    waiting = next(i.patient for i in unit.board().pending_admissions if i.detail == "No bed yet")
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server)
    shown = page.locator(".side-admissions .side-item", has_text=waiting.short_name)
    if shown.count() == 0:  # the list is longer than the board has room for: open it whole
        page.locator(".side-admissions .side-more").tap()
        expect(panel(page).locator(".panel-title")).to_have_text("Pending admissions")
        shown = panel(page).locator(".side-item", has_text=waiting.name)
    shown.tap()
    expect(panel(page).locator(".panel-title")).to_have_text(waiting.name)
    panel(page).get_by_role("button", name="Admit", exact=True).tap()
    panel(page).locator("label.choice", has_text=bed.name).tap()
    panel(page).locator("button[type=submit]", has_text="Admit").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text(f"{waiting.name} is admitted to bed {bed.name}")
    expect(tile(page, bed.id)).to_contain_text(waiting.short_name)  # the board redrew itself
    expect(tile(page, bed.id)).to_contain_text("Occupied")
    expect(page.locator(".side-admissions")).not_to_contain_text(waiting.short_name)
    assert unit.read("Encounter", waiting.encounter_id)["status"] == "in-progress"
    assert unit.read("Location", bed.id)["operationalStatus"]["code"] == codes.BED_OCCUPIED


def test_set_the_expected_discharge_then_cancel_a_reservation(page: Page,
                                                               served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient and not t.patient.expected_discharge)
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Expected discharge", exact=True).tap()
    panel(page).locator("label.choice", has_text="Tomorrow").tap()
    save_screenshot(page, "beds-expected-discharge-form")
    for button in panel(page).locator("label.choice").all():
        box = laid_out_box(button)
        assert box and box["height"] >= 48
    panel(page).locator("button[type=submit]", has_text="Save").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("expected discharge:")
    assert unit.board().tile(bed.id).patient.expected_discharge is not None

    reserved = unit.beds(BedState.RESERVED)[0]
    tile(page, reserved.id).tap()
    panel(page).get_by_role("button", name="Cancel reservation", exact=True).tap()
    expect(panel(page).locator("button", has_text="Keep it")).to_be_visible()
    panel(page).locator("button[type=submit]", has_text="Cancel reservation").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is cancelled")
    expect(tile(page, reserved.id)).to_contain_text("Available")


def test_transfer_to_another_bed(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    source = unit.beds(BedState.OCCUPIED)[0]
    target = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server)
    tile(page, source.id).tap()
    expect(panel(page).locator(".panel-title")).to_have_text(source.patient.name)
    panel(page).get_by_role("button", name="Transfer", exact=True).tap()
    panel(page).locator("label.choice", has_text=target.name).tap()
    save_screenshot(page, "beds-transfer-form")
    panel(page).locator("button[type=submit]", has_text="Transfer").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text(f"is transferred to bed {target.name}")
    expect(tile(page, target.id)).to_contain_text(source.patient.short_name)
    expect(tile(page, source.id)).to_contain_text("Dirty")
    assert unit.read("Location", source.id)["operationalStatus"]["code"] == codes.BED_HOUSEKEEPING
    assert unit.read("Location", target.id)["operationalStatus"]["code"] == codes.BED_OCCUPIED


def test_discharge_then_clean_the_bed(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Discharge", exact=True).tap()
    panel(page).locator("label.choice", has_text="Skilled nursing facility").tap()
    panel(page).locator("button[type=submit]", has_text="Discharge").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text(f"{patient.name} is discharged")
    expect(tile(page, bed.id)).to_contain_text("Dirty")
    panel(page).get_by_role("button", name="Cleaning started").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("Cleaning of bed")
    expect(tile(page, bed.id)).to_contain_text("Cleaning")
    panel(page).get_by_role("button", name="Bed is clean").tap()
    panel(page).get_by_role("button", name=f"Yes, bed {bed.name} is clean").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is clean and available")
    expect(tile(page, bed.id)).to_contain_text("Available")
    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["status"] == "finished"
    assert enc["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "snf"
    assert unit.read("Location", bed.id)["operationalStatus"]["code"] == codes.BED_UNOCCUPIED


def test_two_stations_edit_the_same_bed_and_the_second_is_told(browser: Browser,
                                                               served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    first_ctx, second_ctx = new_touch_context(browser), new_touch_context(browser)
    try:
        first, second = first_ctx.new_page(), second_ctx.new_page()
        open_board(first, server, Role.CHARGE_NURSE)
        open_board(second, server, Role.UNIT_SECRETARY)
        # The second station starts a discharge and picks a destination ...
        tile(second, bed.id).tap()
        panel(second).get_by_role("button", name="Discharge", exact=True).tap()
        panel(second).locator("label.choice", has_text="Rehabilitation").tap()
        # ... while the first station isolates the same bed.
        tile(first, bed.id).tap()
        panel(first).get_by_role("button", name="Isolate bed").tap()
        panel(first).locator("label.choice", has_text="Droplet isolation").tap()
        panel(first).locator("button[type=submit]", has_text="Isolate bed").tap()
        expect(panel(first).locator(".notice-ok")).to_contain_text("is isolated")

        panel(second).locator("button[type=submit]", has_text="Discharge").tap()
        notice = panel(second).locator(".notice-conflict")
        expect(notice).to_contain_text("Changed at another station")
        expect(notice).to_contain_text("Nothing was written")
        expect(panel(second).locator(".panel-state")).to_contain_text("Isolated")  # the current state
        expect(panel(second).locator("input[name=disposition][value=rehab]")).to_be_checked()  # nothing lost
        save_screenshot(second, "beds-conflict")
        assert unit.read("Encounter", patient.encounter_id)["status"] == "in-progress"
        assert unit.read("Location", bed.id)["operationalStatus"]["code"] == codes.BED_ISOLATED
    finally:
        first_ctx.close()
        second_ctx.close()


def test_an_armband_scan_anywhere_opens_the_patient(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[1]
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    open_board(page, server)
    page.locator(".unit-title").tap()  # focus on the board, not in a field
    scan(page, bed.patient.mrn)
    expect(panel(page).locator(".panel-title")).to_have_text(bed.patient.name)
    expect(tile(page, bed.id)).to_have_class(re.compile(r"\bis-open\b"))
    assert posted and all(bed.patient.mrn not in url for url in posted)
    assert bed.patient.mrn not in page.url


def test_a_scan_into_another_field_opens_the_patient_and_submits_nothing_else(
        page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    free = unit.beds(BedState.AVAILABLE, free=True)[0]
    scanned = unit.beds(BedState.OCCUPIED)[2]
    open_board(page, server)
    tile(page, free.id).tap()
    panel(page).get_by_role("button", name="Block bed").tap()
    reason = panel(page).locator("input[name=reason], textarea[name=reason]").first
    reason.tap()
    page.keyboard.type("Broken rail", delay=120)  # a person typing
    scan(page, scanned.patient.mrn)  # then an armband is scanned into the same field
    expect(panel(page).locator(".panel-title")).to_have_text(scanned.patient.name)
    assert unit.board().tile(free.id).state is BedState.AVAILABLE  # the block form was not sent


def test_screenshots_of_the_demo_board_panel_and_public_view(page: Page, live_server: LiveServer,
                                                             gateway: FhirGateway) -> None:
    """The demo 4 West unit, only looked at: the board, a patient's panel and the corridor view."""
    from kiosk.beds.services import load_board
    from kiosk.beds.settings import BedSettings

    board = load_board(gateway, BedSettings())
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/beds/")
    expect(page.locator(".bed")).to_have_count(32)
    # Everything fits on the 1280x800 screen: no bed is below the fold, the page does not scroll, the
    # side lists end with the public view's link on screen.
    last = laid_out_box(page.locator(".bed").last)
    assert last["y"] + last["height"] <= 800
    assert page.evaluate("document.documentElement.scrollHeight") <= 800
    assert page.locator(".board-side").evaluate("e => e.scrollHeight <= e.clientHeight")
    link = laid_out_box(page.locator(".public-link"))
    assert link["y"] + link["height"] <= 800 and link["height"] >= 48
    assert page.locator(".public-link").evaluate("e => e.scrollWidth <= e.clientWidth")
    # No patient name on a tile is cut: it wraps, whole.
    assert page.locator(".bed-patient, .bed-for").evaluate_all(
        "els => els.filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.innerText)") == []
    sizes = page.locator(".bed").evaluate_all("els => els.map(e => [e.offsetWidth, e.offsetHeight])")
    assert min(w for w, _ in sizes) >= 120 and min(h for _, h in sizes) >= 48
    assert float(page.locator(".bc-n").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 28
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    save_screenshot(page, "beds-board")

    occupied = next(t for t in board.tiles.values() if t.patient and t.patient.flags and t.patient.expected_label)
    tile(page, occupied.id).tap()
    expect(panel(page).locator(".panel-title")).to_have_text(occupied.patient.name)
    save_screenshot(page, "beds-panel")
    panel(page).get_by_role("button", name="Discharge", exact=True).tap()
    expect(panel(page).locator("label.choice")).to_have_count(len(codes.DISCHARGE_DISPOSITIONS))
    save_screenshot(page, "beds-discharge-form")
    panel(page).get_by_role("button", name="Cancel").tap()
    expect(panel(page).locator(".action-form")).to_have_count(0)
    panel(page).get_by_role("button", name="Close").tap()
    expect(panel(page)).to_be_empty()

    # The pending admissions in full: each reserved room's readiness, every missing item named, nothing cut.
    page.locator(".side-admissions .side-more").tap()
    expect(panel(page).locator(".panel-title")).to_have_text("Pending admissions")
    expect(panel(page).locator(".side-ready").first).to_contain_text("Room ")
    assert panel(page).locator(".side-detail").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)") == []
    save_screenshot(page, "beds-list-admissions")
    panel(page).get_by_role("button", name="Close").tap()

    dirty = next(t for t in board.tiles.values() if t.timer and t.timer.level == "red")
    tile(page, dirty.id).tap()
    expect(panel(page).locator(".panel-state")).to_contain_text("Dirty for")
    save_screenshot(page, "beds-panel-housekeeping")

    page.goto(live_server.url + "/beds/public")
    expect(page.locator(".public-room")).to_have_count(len(board.rooms))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert float(page.locator(".public-initials").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)")) >= 28  # readable from across the corridor
    save_screenshot(page, "beds-public")
    text = page.locator("body").inner_text().upper()
    html = page.content().upper()
    people = [t.patient for t in board.tiles.values() if t.patient]
    people += [p for t in board.tiles.values() for p in t.reserved_for]
    for person in people:
        family, given = person.name.split(", ", 1)
        assert family.upper() not in text and family.upper() not in html
        assert all(part.upper() not in text for part in given.split() if len(part) > 2)
    assert people[0].initials in page.locator("body").inner_text()


def nav_cut(page: Page) -> list[str]:
    """Workflow links in the top bar that are not wholly on screen."""
    return page.locator(".topnav-link").evaluate_all("""els => els.filter(e => {
        const r = e.getBoundingClientRect(), nav = e.parentElement.getBoundingClientRect();
        return e.scrollWidth > e.clientWidth || r.width < 20 || r.right > nav.right + 1 || r.right > innerWidth;
    }).map(e => e.innerText)""")


@pytest.mark.parametrize("role", [Role.UNIT_SECRETARY, Role.PROVIDER, Role.CHARGE_NURSE, Role.ADMINISTRATOR])
def test_the_board_shows_every_workflow_in_the_top_bar(page: Page, served_unit: tuple[BedUnit, LiveServer],
                                                       role: Role) -> None:
    _unit, server = served_unit
    open_board(page, server, role)
    assert page.locator(".topnav-link").count() >= 3
    assert nav_cut(page) == []
    assert page.evaluate("document.documentElement.scrollHeight") <= 800
    assert page.locator(".board-side").evaluate("e => e.scrollHeight <= e.clientHeight")
    box = laid_out_box(page.locator("#scan-code"))  # the scan field heads the side column
    assert box["x"] > 900 and box["y"] > 64
    save_screenshot(page, f"beds-board-{role.value}")


def test_the_armband_data_matrix_scanned_on_the_board_opens_the_patient(
        page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    from printers.layout import datamatrix_content

    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[1]
    open_board(page, server)
    page.locator(".unit-title").tap()
    # A 2D imager types what the armband's Data Matrix holds, framed by its prefix and suffix.
    scan(page, datamatrix_content(bed.patient.mrn, bed.patient.encounter_number))
    expect(panel(page).locator(".panel-title")).to_have_text(bed.patient.name)


def test_a_failed_poll_keeps_the_board_and_polling_goes_on(page: Page, gateway: FhirGateway,
                                                           make_unit: Callable[..., UnitRef],
                                                           make_app: Callable[..., Flask],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the FHIR server: the kiosk itself fails while answering a poll (say its database is locked)."""
    from kiosk.beds import views

    ref = make_unit(20)
    server = LiveServer(make_app(**unit_env(ref), KIOSK_BEDS_REFRESH_SECONDS="5")).start()
    try:
        real = views.load_board
        broken = {"on": False}

        def load_board(*args, **kwargs):  # type: ignore[no-untyped-def]
            if broken["on"]:
                raise RuntimeError("database is locked")
            return real(*args, **kwargs)

        monkeypatch.setattr(views, "load_board", load_board)
        open_board(page, server)
        broken["on"] = True
        with page.expect_response(lambda r: r.url.endswith("/beds/board")) as answer:
            page.evaluate("htmx.trigger(document.body, 'board-changed')")
        assert answer.value.status == 503
        stale = page.locator("#board-stale")
        expect(stale).to_be_visible()
        expect(stale).to_contain_text("Not up to date")
        expect(page.locator(".bed")).to_have_count(20)  # the board is still there
        save_screenshot(page, "beds-poll-failed")
        broken["on"] = False
        unit = BedUnit(ref=ref, gw=unit_gateway(gateway, ref))
        bed = unit.beds(BedState.AVAILABLE, free=True)[0]
        unit.act("block", bed_id=bed.id, reason="Awaiting maintenance")
        # The next timed poll (every 5 s) still runs, and redraws the board.
        expect(tile(page, bed.id)).to_contain_text("Blocked", timeout=12_000)
        expect(stale).to_be_hidden()
    finally:
        server.stop()


def test_every_confirm_button_is_on_screen_while_its_form_is_open(page: Page,
                                                                  served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    occupied = unit.beds(BedState.OCCUPIED)[0]
    free = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server)
    for bed, action in ((occupied, "Discharge"), (occupied, "Transfer"), (occupied, "Isolate bed"),
                        (free, "Block bed"), (free, "Admit")):
        tile(page, bed.id).tap()
        panel(page).get_by_role("button", name=action, exact=True).tap()
        confirm = panel(page).locator(".confirm-row button[type=submit]")
        expect(confirm).to_be_visible()
        box = laid_out_box(confirm)
        assert box["y"] >= 64 and box["y"] + box["height"] <= 800, action
        expect(panel(page).locator(".facts")).to_have_count(0)  # who and where are in the title
        if action == "Discharge":
            save_screenshot(page, "beds-discharge-confirm")
        panel(page).get_by_role("button", name="Close").tap()


def test_a_block_needs_a_reason_said_by_the_kiosk_not_the_browser(page: Page,
                                                                  served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Block bed").tap()
    expect(panel(page).locator("legend")).to_have_text(f"Why block bed {bed.name}?")
    panel(page).locator("button[type=submit]", has_text="Block bed").tap()
    expect(panel(page).locator(".field-error")).to_have_text("Choose or type why the bed is blocked.")
    panel(page).locator("label.choice", has_text="Other").tap()
    panel(page).locator("#block-reason-other").fill("Call light broken")
    save_screenshot(page, "beds-block-other")
    panel(page).locator("button[type=submit]", has_text="Block bed").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is blocked: Call light broken")
    assert unit.read("Location", bed.id)["description"] == "Blocked: Call light broken"


def test_from_the_public_view_staff_get_back_to_the_board(page: Page,
                                                         served_unit: tuple[BedUnit, LiveServer]) -> None:
    _unit, server = served_unit
    open_board(page, server)
    page.locator(".public-link").tap()
    page.wait_for_url("**/beds/public")
    save_screenshot(page, "beds-public-signed-in")
    page.get_by_role("link", name="‹ Back to the bed board").tap()
    page.wait_for_url("**/beds/")
    expect(page.locator(".bed").first).to_be_visible()


def test_expired_asks_for_its_own_second_tap(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    assert patient is not None
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Discharge", exact=True).tap()
    panel(page).locator("label.choice", has_text="Expired").tap()
    panel(page).locator("button[type=submit]", has_text="Discharge").tap()
    confirm = panel(page).get_by_role("button", name="Yes, record the death")
    expect(confirm).to_be_visible()
    expect(panel(page).locator(".confirm-expired")).to_contain_text("Record a death?")
    box = laid_out_box(confirm)
    assert box["height"] >= 48 and box["y"] + box["height"] <= 800
    save_screenshot(page, "beds-discharge-expired-confirm")
    assert unit.read("Encounter", patient.encounter_id)["status"] == "in-progress"
    confirm.tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text(f"{patient.name} is discharged (expired)")
    assert unit.read("Encounter", patient.encounter_id)["status"] == "finished"


def test_end_isolation_asks_first(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.ISOLATED)[0]
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="End isolation").tap()
    expect(panel(page).locator(".form-question")).to_contain_text(f"End isolation of bed {bed.name}")
    save_screenshot(page, "beds-end-isolation-confirm")
    assert unit.read("Location", bed.id)["operationalStatus"]["code"] == codes.BED_ISOLATED
    panel(page).locator(".confirm-row button[type=submit]").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text(f"Isolation of bed {bed.name} has ended")


def test_housekeeping_timers_move_on_in_the_browser(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    """The server draws a dirty bed once; the browser moves its minutes and colour from its start time."""
    _unit, server = served_unit
    open_board(page, server)
    timer = page.locator(".bed-timer").first
    expect(timer).to_be_visible()
    # The bed has been dirty for 95 minutes (past the 90 of red): the script's next tick says so.
    page.evaluate("""() => {
        const el = document.querySelector('.bed-timer');
        el.setAttribute('data-since', new Date(Date.now() - 95 * 60000).toISOString());
        document.dispatchEvent(new Event('htmx:afterSettle'));
    }""")
    expect(timer).to_have_text("1 h 35")
    tile = page.locator(".bed", has=page.locator(".bed-timer")).first
    expect(tile).to_have_class(re.compile(r"\btimer-red\b"))
    expect(tile).not_to_have_class(re.compile(r"\btimer-(ok|amber)\b"))


@pytest.fixture
def big_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
             make_app: Callable[..., Flask]) -> Iterator[tuple[BedUnit, LiveServer]]:
    """A unit of 32 beds (the size of 4 West) served over HTTP."""
    ref = make_unit(32)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), server
    server.stop()


def test_every_bed_can_be_tapped_while_a_panel_is_open(page: Page, big_unit: tuple[BedUnit, LiveServer]) -> None:
    _, server = big_unit
    open_board(page, server)
    ids = page.locator(".bed").evaluate_all("els => els.map(e => e.dataset.bedId)")
    assert len(ids) == 32
    tile(page, ids[0]).tap()
    expect(panel(page).locator("[data-panel]")).to_have_attribute("data-panel", f"bed:{ids[0]}")
    save_screenshot(page, "beds-32-panel-open")
    # The narrower panel still shows each of its buttons' words whole.
    assert panel(page).locator(".button").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)") == []
    for bed_id in ids[1:]:
        box = laid_out_box(tile(page, bed_id))
        shown = laid_out_box(panel(page))
        assert box["x"] + box["width"] <= shown["x"], f"bed {bed_id} is under the panel"
        tile(page, bed_id).tap()
        # 31 panels in a row on a shared 2-core machine: the page's default wait, not the expect's 5 s.
        expect(panel(page).locator("[data-panel]")).to_have_attribute("data-panel", f"bed:{bed_id}", timeout=10_000)
        expect(tile(page, bed_id)).to_have_class(re.compile(r"\bis-open\b"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_every_tile_is_readable_at_arms_length(page: Page, big_unit: tuple[BedUnit, LiveServer]) -> None:
    """32 beds at 1280x800, with and without a panel open: every tile says its state in words and the
    patient's whole "FAMILY, G.", in type of 16 px or more, and no text in a tile is cut."""
    unit, server = big_unit
    open_board(page, server)
    occupied = unit.beds(BedState.OCCUPIED)
    assert occupied

    def check() -> None:
        words = page.locator(".bed-state-word").evaluate_all(
            "els => els.map(e => [e.closest('.bed').dataset.bedId, e.offsetWidth, e.innerText,"
            " parseFloat(getComputedStyle(e).fontSize)])")
        assert len(words) == 32
        assert all(w > 0 and text and size >= 16 for _, w, text, size in words), words
        names = page.locator(".bed-patient, .bed-for").evaluate_all(
            "els => els.map(e => [e.innerText, parseFloat(getComputedStyle(e).fontSize)])")
        assert names and all(size >= 16 for _, size in names), names
        for bed in occupied:
            assert bed.patient is not None
            expect(tile(page, bed.id).locator(".bed-patient")).to_have_text(bed.patient.short_name)
            if bed.patient.attending:
                expect(tile(page, bed.id)).to_contain_text(bed.patient.attending)
        cut = page.locator(".bed, .bed *").evaluate_all(
            "els => els.filter(e => e.offsetWidth > 0 && (e.scrollWidth > e.clientWidth + 1"
            " || e.scrollHeight > e.clientHeight + 1) && getComputedStyle(e).display !== 'inline')"
            ".map(e => e.className + ': ' + e.innerText)")
        assert cut == []
        assert page.evaluate("document.documentElement.scrollHeight") <= 800

    check()
    last = laid_out_box(page.locator(".bed").last)  # with no panel open, every bed is on screen
    assert last["y"] + last["height"] <= 800
    save_screenshot(page, "beds-32")
    tile(page, occupied[0].id).tap()
    expect(panel(page).locator(".panel-title")).to_have_text(occupied[0].patient.name)
    check()
    save_screenshot(page, "beds-32-readable-panel-open")


def test_a_message_panel_leads_on_by_touch(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    open_board(page, server)
    page.locator("#scan-code").fill("99999999")
    page.locator("#scan-form button[type=submit]").tap()
    expect(panel(page).locator(".panel-title")).to_have_text("Patient not on this board")
    save_screenshot(page, "beds-message-panel")
    way = panel(page).get_by_role("link", name="Show the board")
    box = laid_out_box(way)
    assert box["height"] >= 48
    way.tap()
    expect(panel(page)).to_be_empty()
    expect(page).to_have_url(server.url + "/beds/")

    page.goto(server.url + "/beds/bed/no-such-bed")
    expect(panel(page).locator(".panel-title")).to_have_text("Not on this unit")
    panel(page).get_by_role("link", name="Show the board").tap()
    expect(panel(page)).to_be_empty()
    bed = unit.beds(BedState.OCCUPIED)[0]
    tile(page, bed.id).tap()
    expect(panel(page).locator(".panel-title")).to_have_text(bed.patient.name)


def test_find_a_patient_by_name_by_touch(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    family, given = patient.name.split(", ", 1)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_board(page, server)
    other = unit.beds(BedState.AVAILABLE)[0]
    tile(page, other.id).tap()  # the find field stays in reach with a panel open
    expect(panel(page).locator("[data-panel]")).to_have_attribute("data-panel", f"bed:{other.id}")
    page.locator("#scan-code").fill(f"{family}, {given[0]}")
    page.locator("#scan-form button[type=submit]").tap()
    expect(panel(page).locator(".panel-title")).to_have_text("Patients found")
    found = panel(page).locator(".found-here .side-item", has_text=patient.name)
    expect(found).to_be_visible()
    save_screenshot(page, "beds-found-by-name")
    box = laid_out_box(found)
    assert box["height"] >= 48
    found.tap()
    expect(panel(page).locator(".panel-title")).to_have_text(patient.name)
    assert not [u for u in requests if family.lower() in u.lower()]  # never in a URL
