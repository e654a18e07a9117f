"""Room readiness on the real FHIR server and the kiosk's database: the checklist follows the housekeeping
state (bed board actions on sekmet-fhir), the supplies counts and the ticks people make, and shows on the
bed board's tiles and the whiteboard without a FHIR request of its own."""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.change import edit
from kiosk.supplies import count_location
from tests.support.beds import UNCHANGED_REQUESTS, BedUnit, audit_rows, page_text, signed_in
from tests.support.clock import use_clock
from tests.support.whiteboard import CENSUS_READ_AGAIN_REQUESTS, Ward

Factory = Callable[..., Ward]


def beds_of(unit: Ward) -> BedUnit:
    return BedUnit(ref=unit.ref, gw=unit.gw)


def reserve_dirty_bed(unit: Ward) -> tuple[str, str]:
    """The planned admission without a bed gets a dirty bed (housekeeping not started): (bed id, encounter id)."""
    board = beds_of(unit).board()
    waiting = next(i.patient for i in board.pending_admissions if i.reserved_bed is None)
    dirty = next(t for t in board.tiles.values() if t.state is BedState.HOUSEKEEPING and t.cleaning_task
                 and t.cleaning_task.status == "requested")
    encounter, version = edit(unit.read("Encounter", waiting.encounter_id))
    encounter["location"].append(b.encounter_location(dirty.ref, "reserved"))
    unit.gw.client.update(encounter, version=version)
    return dirty.id, waiting.encounter_id


def side_list(html: str, key: str) -> str:
    """One of the board's side lists (its section's HTML)."""
    found = re.search(rf'<section class="side-list side-{key}">(.*?)</section>', html, re.S)
    assert found is not None, f"no side list {key}"
    return found.group(1)


def checklist(client, bed_id: str) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/readiness/bed/{bed_id}", headers={"HX-Request": "true"}).get_data(as_text=True)


def item_line(html: str, label: str) -> str:
    """What the checklist says of one item (who ticked it and when, or what the bed or the bins are like)."""
    found = re.search(rf'<span class="ci-label">{re.escape(label)}</span><span class="ci-note">([^<]*)</span>', html)
    assert found is not None, f"no item {label}"
    return page_text(found.group(1)).strip()


def count_clean_utility(unit: Ward, below: bool) -> None:
    """The clean utility counted: at par, or with its first item one under its reorder point."""
    with unit.app.app_context():
        from kiosk.extensions import settings

        quantities = None
        if below:
            from kiosk.settings_files import settings_of
            from kiosk.supplies.config import SUPPLIES_FILE

            location = settings_of(SUPPLIES_FILE).par.location("CLEAN")
            assert location is not None
            quantities = {i.code: i.par for i in location.items}
            quantities[location.items[0].code] = location.items[0].reorder_point - 1
        count_location(settings(), unit.database, "CLEAN", "Test counter", quantities)


def test_the_checklist_follows_the_housekeeping_state(ward: Factory) -> None:
    unit = ward(16)
    bed_id, _ = reserve_dirty_bed(unit)
    client = signed_in(unit.app, Role.UNIT_SECRETARY)
    assert "Waiting for housekeeping since" in item_line(checklist(client, bed_id), "Bed clean")
    beds_of(unit).act("cleaning-started", bed_id=bed_id)
    assert item_line(checklist(client, bed_id), "Bed clean").startswith("Being cleaned.")
    beds_of(unit).act("bed-clean", bed_id=bed_id)
    assert item_line(checklist(client, bed_id), "Bed clean").startswith("Clean (housekeeping).")
    assert unit.read("Location", bed_id)["operationalStatus"]["code"] == codes.BED_UNOCCUPIED


def test_the_checklist_follows_the_supplies_counts(ward: Factory) -> None:
    unit = ward(12)
    bed = next(t for t in beds_of(unit).board().tiles.values() if t.state is BedState.RESERVED)
    client = signed_in(unit.app, Role.UNIT_SECRETARY)
    label = "Room supply bins at or above reorder point"
    assert "bin(s) not counted recently" in item_line(checklist(client, bed.id), label)
    count_clean_utility(unit, below=True)
    line = item_line(checklist(client, bed.id), label)
    assert "Clean utility: below reorder point:" in line and "not counted" not in line
    count_clean_utility(unit, below=False)
    assert item_line(checklist(client, bed.id), label).startswith("Counted at or above reorder point")


def test_ticks_say_who_and_when_and_a_ready_room_shows_on_the_board_and_the_whiteboard(ward: Factory) -> None:
    unit = ward(12)
    count_clean_utility(unit, below=False)
    bed = next(t for t in beds_of(unit).board().tiles.values() if t.state is BedState.RESERVED)
    patient = bed.reserved_for[0]
    nurse = signed_in(unit.app, Role.NURSE)
    html = nurse.get(f"/readiness/bed/{bed.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    board = signed_in(unit.app, Role.UNIT_SECRETARY)
    first = board.get("/beds/").get_data(as_text=True)
    assert "2 of 5: suction +2" in page_text(first)
    # The pending admission's row says how ready its reserved room is: in short on the board, in full in
    # the list's panel.
    assert f"{bed.label} · 2 of 5 ready" in page_text(side_list(first, "admissions"))
    listed = board.get("/beds/list/admissions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Bed {bed.name} reserved · Room 2 of 5: suction, O2, bed" in page_text(listed)
    for item in ("suction", "oxygen", "bed"):
        saved = nurse.post(f"/readiness/bed/{bed.id}/tick", headers={"HX-Request": "true"},
                           data={"csrf_token": token, "item": item, "done": "yes", "encounter": patient.encounter_id})
        assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "Ready" in page_text(html) and "Checked by Grace Lambert at" in item_line(html, "Bed and mattress working")
    rows = audit_rows(unit.app, "readiness-check")
    assert len(rows) == 3 and rows[0].entity == f"Location/{bed.id}"
    assert rows[0].patient == f"Patient/{patient.patient_id}"
    page = board.get("/beds/")
    # The ticks are the kiosk's own (no FHIR write): the kept census is shown, with the look at the server's
    # changes only (kiosk.census), and the readiness marks cost no FHIR request.
    assert page.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    tile = re.search(rf'data-bed-id="{bed.id}">(.*?)</button>', page.get_data(as_text=True), re.S)
    assert tile is not None and "Ready" in page_text(tile.group(1))
    assert f"{bed.label} · room ready" in page_text(side_list(page.get_data(as_text=True), "admissions"))
    whiteboard = page_text(board.get("/whiteboard/").get_data(as_text=True))
    assert f"{bed.label} Admission Ready" in whiteboard

    undone = nurse.post(f"/readiness/bed/{bed.id}/tick", headers={"HX-Request": "true"},
                        data={"csrf_token": token, "item": "oxygen", "done": "no", "encounter": patient.encounter_id})
    assert "Unticked by Grace Lambert" in item_line(undone.get_data(as_text=True), "Oxygen checked")
    stale = nurse.post(f"/readiness/bed/{bed.id}/tick", headers={"HX-Request": "true"},
                       data={"csrf_token": token, "item": "oxygen", "done": "yes", "encounter": "some-other-stay"})
    assert stale.status_code == 409 and "Nothing was saved" in page_text(stale.get_data(as_text=True))
    provider = signed_in(unit.app, Role.PROVIDER)
    shown = provider.get(f"/readiness/bed/{bed.id}").get_data(as_text=True)
    assert "only a unit secretary, a charge nurse, a nurse or a nursing assistant ticks" in page_text(shown)
    theirs = re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1)  # type: ignore[union-attr]
    assert provider.post(f"/readiness/bed/{bed.id}/tick", data={"csrf_token": theirs, "item": "oxygen", "done": "yes",
                                                                "encounter": patient.encounter_id}).status_code == 403


def test_an_isolation_alert_or_a_bariatric_flag_adds_to_the_checklist(ward: Factory) -> None:
    unit = ward(12)
    bed = next(t for t in beds_of(unit).board().tiles.values() if t.state is BedState.RESERVED)
    patient = bed.reserved_for[0]
    client = signed_in(unit.app, Role.UNIT_SECRETARY)
    before = checklist(client, bed.id)
    assert "Isolation cart" not in before and "Bariatric bed" not in before and "of 5" in before
    system = codes.local_system(unit.gw.identifiers.code_systems, codes.ALERT_CONCEPT)
    for category, code, text in ((codes.FLAG_ISOLATION, "isolation-droplet", "Droplet isolation"),
                                 ("clinical", "bariatric", "Bariatric: bed needed")):
        unit.gw.client.create(b.alert_flag(patient=f"Patient/{patient.patient_id}", category=category, code=code,
                                           text=text, alert_system=system))
    after = checklist(client, bed.id)
    assert "Isolation cart at the door" in after and "Bariatric bed in place" in after and "of 7" in after


def test_the_readiness_list_and_the_bed_panel_section(ward: Factory) -> None:
    unit = ward(12)
    board = beds_of(unit).board()
    reserved = [t for t in board.tiles.values() if t.state is BedState.RESERVED]
    client = signed_in(unit.app, Role.UNIT_SECRETARY)
    listing = page_text(client.get("/readiness/").get_data(as_text=True))
    for tile in reserved:
        assert tile.name in listing
    panel = client.get(f"/beds/bed/{reserved[0].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'hx-get="/readiness/section/{reserved[0].id}"' in panel
    section = page_text(client.get(f"/readiness/section/{reserved[0].id}").get_data(as_text=True))
    assert "Room readiness:" in section and "Missing:" in section
    empty = next(t for t in board.tiles.values() if t.state is BedState.AVAILABLE and not t.reserved_for)
    assert page_text(client.get(f"/readiness/section/{empty.id}").get_data(as_text=True)).strip() == ""


def test_the_list_and_the_section_read_no_census_while_nothing_changed(ward: Factory) -> None:
    """The list and the bed board's panel section take the shared census (kiosk.census): the look at the
    server's changes only, and a change made on the server (not through the kiosk) shows on the next one."""
    unit = ward(12)
    client = signed_in(unit.app, Role.UNIT_SECRETARY)
    client.get("/readiness/")  # the census into the shared store
    listing = client.get("/readiness/")
    assert listing.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    bed_id, _ = reserve_dirty_bed(unit)
    name = next(t.name for t in beds_of(unit).board().tiles.values() if t.id == bed_id)
    assert name not in page_text(listing.get_data(as_text=True))
    changed = client.get("/readiness/")
    assert changed.headers["X-FHIR-Requests"] == CENSUS_READ_AGAIN_REQUESTS  # the look, then the census
    assert name in page_text(changed.get_data(as_text=True))
    section = client.get(f"/readiness/section/{bed_id}")
    assert section.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    assert "Room readiness:" in page_text(section.get_data(as_text=True))


def test_a_tick_checks_the_patient_coming_on_the_server_not_on_the_shared_census(ward: Factory) -> None:
    """Within the shared census's trust window the checklist still shows a reservation taken back on the
    EHR a moment ago; the tick reads the census from the server, finds nobody coming, and saves nothing."""
    unit = ward(12, KIOSK_CENSUS_TRUST_SECONDS="30")
    use_clock(unit.app)
    bed_id, encounter_id = reserve_dirty_bed(unit)
    nurse = signed_in(unit.app, Role.NURSE)
    html = nurse.get(f"/readiness/bed/{bed_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    encounter, version = edit(unit.read("Encounter", encounter_id))
    encounter["location"] = [e for e in encounter["location"] if e["location"]["reference"] != f"Location/{bed_id}"]
    unit.gw.client.update(encounter, version=version)
    shown = nurse.get(f"/readiness/bed/{bed_id}")
    assert shown.headers["X-FHIR-Requests"] == "0" and 'name="encounter"' in shown.get_data(as_text=True)
    stale = nurse.post(f"/readiness/bed/{bed_id}/tick", headers={"HX-Request": "true"},
                       data={"csrf_token": token, "item": "oxygen", "done": "yes", "encounter": encounter_id})
    assert stale.status_code == 409 and "Nothing was saved" in page_text(stale.get_data(as_text=True))
    assert audit_rows(unit.app, "readiness-check")[0].outcome == "failure"
