"""Patient transport in real Chromium with touch: a unit secretary asks for a round trip to Imaging from
the bed board (1280x800); a transporter on a 390x844 phone accepts it, checks the armband (a 1D barcode,
then the date of birth) and delivers; the desk's board shows each state as it happens. Screenshots of
every screen at both sizes land in tests/artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kiosk.auth import Role
from kiosk.demo.transport import seed_departments
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.transport.escalation import escalate
from tests.support.auth import sign_in
from tests.support.beds import app_gateway, unit_env, unit_gateway
from tests.support.browser import LiveServer, save_screenshot
from tests.support.transport import TransportUnit

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def served(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
           make_app: Callable[..., Flask]) -> Iterator[tuple[TransportUnit, LiveServer]]:
    departments = seed_departments(gateway)
    ref = make_unit(16)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield TransportUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app, departments=departments), server
    server.stop()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="en-US", timezone_id="UTC")
    yield ctx
    ctx.close()


def test_a_round_trip_asked_at_the_desk_is_done_by_a_transporter_on_a_phone(
        page: Page, phone: BrowserContext, browser: Browser, served: tuple[TransportUnit, LiveServer]) -> None:
    unit, server = served
    occupant = unit.occupants()[0]
    bed_id = occupant.bed.reference.split("/")[1]

    # The unit secretary opens the patient on the bed board and asks for a round trip to Imaging.
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{bed_id}']").tap()
    page.locator("#panel .patient-links a", has_text="Request transport").tap()
    expect(page.locator(".patient-title")).to_have_text(occupant.name)
    page.locator("label.choice", has_text="Imaging (Radiology)").tap()
    page.locator("label.choice", has_text="Test or procedure").tap()
    page.locator("label.choice", has_text="Wheelchair").tap()
    page.locator("label.choice", has_text="IV pump").tap()
    page.locator("label.choice", has_text="Round trip").tap()
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, "transport-request-form")
    page.locator("button.request-submit").tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"for {occupant.name}: from {occupant.bed.name} to Imaging")
    expect(page.locator(".notice-ok")).to_contain_text("A way back is set up")
    save_screenshot(page, "transport-requested")
    page.locator("a", has_text="See it on the transport board").tap()
    rows = page.locator(".job-row", has_text=occupant.name)
    outbound, way_back = rows.filter(has_not_text="way back"), rows.filter(has_text="way back")
    expect(outbound).to_contain_text("Waiting for a transporter")
    expect(way_back).to_contain_text("Waiting for the call to bring back")
    save_screenshot(page, "transport-board-waiting")

    # The transporter, on a phone.
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    sign_in(mobile, server.url, Role.TRANSPORTER)
    mobile.goto(server.url + "/transport/jobs")
    card = mobile.locator(".job-card", has=mobile.locator(".to", has_text="Imaging (Radiology)")).filter(
        has_text=occupant.name)
    expect(card).to_contain_text("Waiting for a transporter")
    save_screenshot(mobile, "transport-phone-waiting")
    card.get_by_role("button", name="Accept").tap()
    expect(mobile.locator("#job-sheet .notice-ok")).to_contain_text("You have the job")
    save_screenshot(mobile, "transport-phone-accepted")
    mobile.locator("#job-sheet").get_by_role("button", name="OK").tap()
    mine = mobile.locator("section[aria-label='My jobs'] .job-card", has_text=occupant.name)
    expect(mine).to_contain_text("Accepted by you")

    page.reload()
    expect(outbound).to_contain_text("Accepted by Jordan Blake")
    save_screenshot(page, "transport-board-accepted")

    # Picked up: the armband's 1D barcode (the MRN) gives one identifier; the date of birth is the second.
    mine.get_by_role("button", name="Picked up…").tap()
    scan = mobile.locator("#scan-code")
    expect(scan).to_be_visible()
    scan.tap()
    mobile.keyboard.type(occupant.mrn or "")
    mobile.keyboard.press("Enter")
    birth = mobile.locator("#birth-date")
    expect(birth).to_be_visible()
    expect(mobile.locator("#job-sheet")).to_contain_text("Ask the patient their date of birth")
    save_screenshot(mobile, "transport-phone-date-of-birth")
    birth.fill(occupant.birth_date.isoformat())
    mobile.locator("#job-sheet button[type=submit]").tap()
    expect(mobile.locator("#job-sheet .notice-ok")).to_contain_text("is picked up")
    mobile.locator("#job-sheet").get_by_role("button", name="OK").tap()
    expect(mine).to_contain_text("Picked up, on the way")
    save_screenshot(mobile, "transport-phone-picked-up")

    page.reload()
    expect(outbound).to_contain_text("Picked up, on the way")
    save_screenshot(page, "transport-board-on-the-way")
    page.goto(server.url + "/beds/")
    expect(page.locator(f".bed[data-bed-id='{bed_id}'] .mark-off-unit")).to_have_text("Off unit")

    # Delivered.
    mine.get_by_role("button", name="Delivered").tap()
    expect(mobile.locator("#job-sheet .notice-ok")).to_contain_text("is delivered to Imaging")
    save_screenshot(mobile, "transport-phone-delivered")
    page.goto(server.url + "/transport/")
    expect(outbound).to_have_count(0)
    expect(way_back).to_contain_text("Waiting for the call to bring back")
    # Imaging calls: the desk releases the way back.
    way_back.get_by_role("button", name="Ready to come back").tap()
    expect(page.locator("#job-sheet .notice-ok")).to_contain_text("waits for a transporter now")
    expect(way_back).to_contain_text("Waiting for a transporter")
    save_screenshot(page, "transport-board-way-back")
    statuses = {j.leg: j.status for j in unit.legs_of(occupant)}
    assert statuses == {"outbound": "completed", "return": "requested"}


def test_the_other_screens_at_both_sizes(page: Page, browser: Browser,
                                        served: tuple[TransportUnit, LiveServer]) -> None:
    """The board with an escalated job and every state, the cancel sheet, the figures, and the phone list
    with a delayed job: looked at, at 1280x800 and 390x844."""
    unit, server = served
    people = unit.occupants()
    owner = unit.owner()
    unit.seed(people[0], state="requested", priority="stat", target_minutes=10, asked_ago=25)
    unit.seed(people[1], state="accepted", priority="urgent", target_minutes=20, owner=owner, asked_ago=9)
    unit.seed(people[2], state="delayed", owner=owner, reason="Elevator delay", asked_ago=30)
    unit.seed(people[3], state="picked-up", owner=owner, round_trip=True, asked_ago=35)
    unit.seed(people[4], state="requested", asked_ago=38, destination=unit.department("DEPT-ENDO"))
    unit.seed(people[5], state="delivered", owner=owner, asked_ago=120)
    with unit.app.app_context():
        escalate(app_gateway(unit.app), database(), datetime.now(UTC))
    sign_in(page, server.url, Role.CHARGE_NURSE)
    expect(page.locator(".transport-alert")).to_contain_text("1 transport job waits past the target")
    save_screenshot(page, "transport-home-escalated")
    page.goto(server.url + "/transport/")
    expect(page.locator(".job-row.is-urgent").first).to_contain_text("Escalated")
    save_screenshot(page, "transport-board")
    page.locator(".job-row", has_text="Endoscopy").get_by_role("button", name="Cancel…").tap()
    expect(page.locator("#job-sheet .sheet-title")).to_have_text("Cancel the job")
    save_screenshot(page, "transport-cancel-sheet")
    page.goto(server.url + "/transport/figures")
    expect(page.locator("svg.chart")).to_be_visible()
    save_screenshot(page, "transport-figures")

    ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="en-US", timezone_id="UTC")
    try:
        mobile = ctx.new_page()
        sign_in(mobile, server.url, Role.TRANSPORTER)
        mobile.goto(server.url + "/transport/jobs")
        expect(mobile.locator(".job-card").first).to_be_visible()
        save_screenshot(mobile, "transport-phone-list")
        mobile.locator("section[aria-label='My jobs'] .job-card", has_text="Elevator delay").get_by_role(
            "button", name="Delayed…").tap()
        expect(mobile.locator("#job-sheet .sheet-title")).to_have_text("Delayed")
        save_screenshot(mobile, "transport-phone-delay-sheet")
        # The page fits the phone: nothing wider than the screen.
        assert mobile.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        sizes = mobile.evaluate("""() => [...document.querySelectorAll('.job-card button, .zone, #job-sheet button')]
            .filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)""")
        assert sizes and min(sizes) >= 48
    finally:
        ctx.close()


def test_the_bed_board_asks_for_transport_and_makes_a_delivered_move_in_one_tap(
        page: Page, served: tuple[TransportUnit, LiveServer]) -> None:
    """The transfer form's and the discharge form's links into a transport request, and the move into the
    new bed offered on the patient's panel once the transfer's transport is delivered: one tap."""
    from kiosk.fhir.locations import available_beds_elsewhere
    from kiosk.transport.fhir import PlaceRef

    unit, server = served
    occupant, other = unit.occupants()[:2]
    target = available_beds_elsewhere(unit.gw, unit.gw.unit_location_id(unit.ref))[0]
    place = PlaceRef(target.bed.name, target.bed.reference, unit=target.unit.reference if target.unit else None,
                     unit_name=target.unit_name, is_bed=True)
    unit.seed(occupant, state="delivered", purpose="transfer", destination=place, owner=unit.owner(), asked_ago=40)
    sign_in(page, server.url, Role.UNIT_SECRETARY)

    # Another patient: the transfer form offers a transport to the bed chosen there.
    page.goto(server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{other.bed.reference.split('/')[1]}']").tap()
    page.locator("#panel").get_by_role("button", name="Transfer", exact=True).tap()
    page.locator("#panel label.choice", has_text=target.bed.name).first.tap()
    page.locator("#panel .transfer-link").scroll_into_view_if_needed()
    save_screenshot(page, "beds-transfer-form-transport-link")
    page.locator("#panel .transfer-link").tap()
    expect(page.locator(".patient-title")).to_have_text(other.name)
    expect(page.locator(f"input[name=destination][value='{target.bed.reference}']")).to_be_checked()
    expect(page.locator("input[name=purpose][value=transfer]")).to_be_checked()
    # Its discharge form offers a transport to the discharge places.
    page.goto(server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{other.bed.reference.split('/')[1]}']").tap()
    page.locator("#panel").get_by_role("button", name="Discharge", exact=True).tap()
    expect(page.locator("#panel .discharge-link")).to_be_visible()
    save_screenshot(page, "beds-discharge-form-transport-link")
    page.locator("#panel .discharge-link").tap()
    expect(page.locator("details.place-group").first).to_contain_text("Discharge lounge")
    expect(page.locator("input[name=purpose][value=discharge]")).to_be_checked()
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, "transport-request-for-a-discharge")

    # The delivered transfer: the patient's panel offers the move, one tap.
    page.goto(server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{occupant.bed.reference.split('/')[1]}']").tap()
    move = page.locator("#panel .move-offer")
    expect(move).to_contain_text("Transport delivered")
    save_screenshot(page, "beds-move-after-transport")
    move.get_by_role("button", name=f"Move into {target.bed.name}").tap()
    expect(page.locator("#panel .notice-ok")).to_contain_text(f"is transferred to bed {target.bed.name}")
    save_screenshot(page, "beds-moved-after-transport")
    encounter = unit.gw.client.read("Encounter", occupant.encounter_id)
    assert [loc["location"]["reference"] for loc in encounter["location"] if loc["status"] == "active"] == [
        target.bed.reference]
