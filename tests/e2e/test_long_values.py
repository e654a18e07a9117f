"""Values from the FHIR server of any length never break a page's layout: tiles, the panel, the labels
pages and the audit trail, in Chromium at 1280x800. A long real family name stays whole (smaller,
wrapped); a pathological one (10,000 characters) is bounded and says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.board import BedTile
from kiosk.extensions import database
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.labels.models import PrintJob
from tests.support.auth import sign_in
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot

HUGE = "X" * 10_000
#: Two real family names joined: 72 characters, longer than any a tile shows on two lines.
LONG_FAMILY = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF-KEIHANAIKUKAUAKAHIHULIHEEKAHAUNAELE"
SPACED = " ".join(["Ab"] * 3000)


@dataclass
class LongUnit:
    unit: BedUnit
    server: LiveServer
    huge: BedTile  # family name of 10,000 characters, flag text of 10,000
    long: BedTile  # a 72-character family name, a 10,000-character given name
    spaced: BedTile  # 3,000 short given names
    long_bed: BedTile  # an empty bed whose name is 10,000 characters


def _change(gw: FhirGateway, resource_type: str, resource_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    resource = gw.client.read(resource_type, resource_id)
    change(resource)
    gw.client.update(resource, version=resource["meta"]["versionId"])


@pytest.fixture
def long_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
              make_app: Callable[..., Flask]) -> Iterator[LongUnit]:
    ref = make_unit(12)
    gw = unit_gateway(gateway, ref)
    app = make_app(**unit_env(ref))
    unit = BedUnit(ref=ref, gw=gw, app=app)
    board = unit.board()
    occupied = sorted((t for t in board.tiles.values() if t.patient), key=lambda t: t.label)
    empty = next(t for t in sorted(board.tiles.values(), key=lambda t: t.label) if not t.patient)
    huge, long, spaced = occupied[:3]

    def names(family: str, given: list[str]) -> Callable[[dict[str, Any]], None]:
        def change(patient: dict[str, Any]) -> None:
            patient["name"] = [{"use": "official", "family": family, "given": given}]
        return change

    assert huge.patient and long.patient and spaced.patient
    _change(gw, "Patient", huge.patient.patient_id or "", names(HUGE, ["Ann"]))
    _change(gw, "Patient", long.patient.patient_id or "", names(LONG_FAMILY, ["Y" * 10_000]))
    _change(gw, "Patient", spaced.patient.patient_id or "", names("Lee", SPACED.split()))
    census = unit_census(gw)
    flags = census.flags.get(f"Patient/{huge.patient.patient_id}") or next(f for f in census.flags.values() if f)

    def long_text(flag: dict[str, Any]) -> None:
        flag["code"]["text"] = "Allergy " + "z" * 10_000

    _change(gw, "Flag", flags[0].id, long_text)
    _change(gw, "Location", empty.id, lambda bed: bed.update(name="BED-" + "Q" * 10_000))
    with app.app_context(), database().session() as db:
        db.add(PrintJob(station_id="4W-NS-1", requested_by="100001", patient_id=huge.patient.patient_id,
                        encounter_id=huge.patient.encounter_id, label_type="adult-armband", copies=1,
                        printer_id="4W-ZEBRA-1", language="zpl", dpi=203, payload=b"^XA^XZ", payload_sha256="0" * 64,
                        status="printed"))
    server = LiveServer(app).start()
    yield LongUnit(unit, server, huge, long, spaced, empty)
    server.stop()


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    overflowing = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 1281 && getComputedStyle(e).position !== 'fixed')
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert overflowing == []


def tallest(page: Page, selector: str) -> float:
    return max(page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"))


def test_the_board_and_panel_keep_their_shape(page: Page, long_unit: LongUnit) -> None:
    url = long_unit.server.url
    sign_in(page, url, Role.UNIT_SECRETARY)
    page.goto(url + "/beds/")
    expect(page.locator(".bed").first).to_be_visible()
    save_screenshot(page, "long-values-board")
    assert page.evaluate("document.documentElement.scrollHeight") <= 800  # the whole unit still fits
    fits_the_screen(page)
    assert tallest(page, ".bed") <= 200  # the tallest: 100 characters of a name, marked too long
    tile = page.locator(f".bed[data-bed-id='{long_unit.long.id}']")
    # A long real family name is whole on its tile (smaller, wrapped), never cut.
    assert LONG_FAMILY in tile.inner_text().replace("\n", "").replace("\u00ad", "")
    huge = page.locator(f".bed[data-bed-id='{long_unit.huge.id}']")
    assert "name too long" in huge.inner_text().lower()
    assert len(huge.inner_text()) < 300

    huge.tap()
    expect(page.locator("#panel .panel-title")).to_be_visible()
    save_screenshot(page, "long-values-panel")
    fits_the_screen(page)
    title = page.locator("#panel .panel-title")
    assert laid_out_box(title)["height"] <= 200
    assert "name too long" in page.locator("#panel").inner_text().lower()
    assert len(page.locator("#panel").inner_text()) < 3000
    page.locator("#panel").get_by_role("button", name="Close").tap()

    page.locator(f".bed[data-bed-id='{long_unit.long.id}']").tap()
    expect(page.locator("#panel .panel-title")).to_contain_text(LONG_FAMILY)
    save_screenshot(page, "long-values-panel-long-family")
    fits_the_screen(page)
    assert laid_out_box(page.locator("#panel .panel-title"))["height"] <= 200
    page.locator("#panel").get_by_role("button", name="Close").tap()

    page.locator(f".bed[data-bed-id='{long_unit.long_bed.id}']").tap()
    expect(page.locator("#panel .panel-title")).to_be_visible()
    save_screenshot(page, "long-values-panel-long-bed")
    fits_the_screen(page)
    assert laid_out_box(page.locator("#panel .panel-title"))["height"] <= 200


def test_the_labels_pages_keep_their_shape(page: Page, long_unit: LongUnit) -> None:
    url = long_unit.server.url
    sign_in(page, url, Role.UNIT_SECRETARY)
    for tile in (long_unit.huge, long_unit.long):
        assert tile.patient is not None
        page.goto(f"{url}/labels/patients/{tile.patient.patient_id}/encounters/{tile.patient.encounter_id}")
        expect(page.locator(".patient-name")).to_be_visible()
        save_screenshot(page, f"long-values-labels-{'huge' if tile is long_unit.huge else 'long'}")
        fits_the_screen(page)
        assert laid_out_box(page.locator(".patient-name"))["height"] <= 200
    page.goto(url + "/labels/queue")
    expect(page.locator(".job-row")).to_have_count(1)
    save_screenshot(page, "long-values-labels-queue")
    fits_the_screen(page)
    assert tallest(page, ".job-row") <= 320  # a 100-character name and its mark in a narrow column


def test_the_audit_trail_keeps_its_shape(page: Page, long_unit: LongUnit) -> None:
    from kiosk import audit

    with long_unit.unit.app.test_request_context():
        for tile in (long_unit.huge, long_unit.long, long_unit.spaced):
            assert tile.patient is not None
            audit.record("view-patient", patient=f"Patient/{tile.patient.patient_id}", detail="bed board panel")
    sign_in(page, long_unit.server.url, Role.CHARGE_NURSE)
    page.goto(long_unit.server.url + "/audit/")
    expect(page.locator(".audit-table tbody tr").first).to_be_visible()
    save_screenshot(page, "long-values-audit")
    fits_the_screen(page)
    assert tallest(page, ".audit-table tbody tr") <= 320
