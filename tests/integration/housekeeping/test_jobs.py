"""Housekeeping jobs against a real sekmet-fhir server, through the kiosk's pages, read back from the
server: start (owner, in progress), done (bed available, job completed), make stat, a stale start refused
with nothing written, the kind of clean after isolation, the figures and the requests a page costs."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import codes
from kiosk.fhir.change import edit
from tests.support.auth import page_token
from tests.support.beds import (
    UNCHANGED_REQUESTS,
    BedUnit,
    app_gateway,
    audit_rows,
    page_text,
    signed_in,
    vendor_statement,
)
from tests.support.whiteboard import CENSUS_READ_AGAIN_REQUESTS

Factory = Callable[..., BedUnit]


def card(html: str, bed_id: str) -> str:
    found = re.search(rf'<article class="hk-card[^"]*" data-bed-id="{re.escape(bed_id)}">(.*?)</article>', html, re.S)
    if not found:
        raise AssertionError(f"no card for bed {bed_id}")
    return found.group(1)


def form_of(html: str, bed_id: str, action: str) -> dict[str, str]:
    """The hidden fields of an action's form on a bed's card, as the page drew them."""
    for form in re.findall(r"<form.*?</form>", card(html, bed_id), re.S):
        if f"/{action}\"" in form:
            return {k: html_lib.unescape(v) for k, v in re.findall(r'name="([a-z_]+)" value="([^"]*)"', form)}
    raise AssertionError(f"no {action} on bed {bed_id}")


def post(client: FlaskClient, bed_id: str, action: str, fields: dict[str, str]) -> Any:
    return client.post(f"/housekeeping/beds/{bed_id}/{action}", data=fields, headers={"HX-Request": "true"})


def open_jobs(unit: BedUnit, bed_id: str) -> list[dict[str, Any]]:
    return unit.gw.client.search("Task", [("focus", f"Location/{bed_id}"),
                                          ("status", ",".join(codes.OPEN_TASK_STATUSES))]).matches


def clean_type(task: dict[str, Any]) -> str | None:
    for entry in task.get("input") or []:
        if entry["type"]["coding"][0]["code"] == codes.TASK_INPUT_CLEAN_TYPE:
            return entry["valueCodeableConcept"]["coding"][0]["code"]
    return None


def waiting_bed(unit: BedUnit) -> str:
    bed = next(t for t in unit.beds(BedState.HOUSEKEEPING) if t.cleaning_tasks)
    return bed.id


def test_start_takes_the_job_and_done_makes_the_bed_available(hk_unit: Factory) -> None:
    unit = hk_unit()
    bed_id = waiting_bed(unit)
    client = signed_in(unit.app, Role.HOUSEKEEPER)
    page = client.get("/housekeeping/jobs")
    assert page.status_code == 200 and 'class="phone-page"' in page.get_data(as_text=True)

    started = post(client, bed_id, "start", form_of(page.get_data(as_text=True), bed_id, "start"))
    assert started.status_code == 200, page_text(started.get_data(as_text=True))
    (task,) = open_jobs(unit, bed_id)
    assert task["status"] == "in-progress" and task["executionPeriod"]["start"]
    assert task["owner"] == {"display": "Rosa Mendes"}
    assert "Rosa Mendes cleaning" in page_text(card(started.get_data(as_text=True), bed_id))
    # The bed board's tile says who is cleaning.
    board = signed_in(unit.app).get("/beds/").get_data(as_text=True)
    assert "Rosa cleaning" in page_text(board)

    done = post(client, bed_id, "done", form_of(started.get_data(as_text=True), bed_id, "done"))
    assert done.status_code == 200, page_text(done.get_data(as_text=True))
    assert unit.read("Location", bed_id)["operationalStatus"]["code"] == codes.BED_UNOCCUPIED
    finished = unit.read("Task", task["id"])
    assert finished["status"] == "completed" and finished["executionPeriod"]["end"]
    assert f'data-bed-id="{bed_id}"' not in done.get_data(as_text=True)
    assert {r.outcome for r in audit_rows(unit.app, "fhir-write") if "cleaning" in (r.detail or "")
            or "bed-clean" in (r.detail or "")} == {"success"}


def test_a_stale_start_is_a_conflict_and_writes_nothing(hk_unit: Factory) -> None:
    unit = hk_unit()
    bed_id = waiting_bed(unit)
    client = signed_in(unit.app, Role.HOUSEKEEPER)
    fields = form_of(client.get("/housekeeping/jobs").get_data(as_text=True), bed_id, "start")
    (task,) = open_jobs(unit, bed_id)
    # Another station changes the job after the page was drawn.
    other, version = edit(task)
    other["note"] = [{"text": "Bed rail broken"}]
    unit.gw.client.update(other, version=version)
    before = unit.read("Task", task["id"])

    answer = post(client, bed_id, "start", fields)
    assert answer.status_code == 409
    text = page_text(answer.get_data(as_text=True))
    assert "Changed at another station" in text and "Nothing was written (checked on the FHIR server)" in text
    after = unit.read("Task", task["id"])
    assert after["meta"]["versionId"] == before["meta"]["versionId"] and after["status"] == "requested"
    assert "owner" not in after
    # The list drawn with the answer carries the new version: starting from it works.
    again = post(client, bed_id, "start", form_of(answer.get_data(as_text=True), bed_id, "start"))
    assert again.status_code == 200 and unit.read("Task", task["id"])["status"] == "in-progress"


def test_the_desk_makes_a_job_stat_and_it_comes_first(hk_unit: Factory) -> None:
    unit = hk_unit()
    beds = [t for t in unit.beds(BedState.HOUSEKEEPING) if t.cleaning_tasks]
    bed_id = beds[-1].id
    desk = signed_in(unit.app, Role.UNIT_SECRETARY)
    page = desk.get("/housekeeping/").get_data(as_text=True)
    assert "Make stat" in page
    answer = post(desk, bed_id, "stat", form_of(page, bed_id, "stat"))
    assert answer.status_code == 200, page_text(answer.get_data(as_text=True))
    (task,) = [t for t in open_jobs(unit, bed_id) if t["status"] == "requested"]
    assert task["priority"] == "stat"
    phone = signed_in(unit.app, Role.HOUSEKEEPER).get("/housekeeping/jobs").get_data(as_text=True)
    first = re.search(r'data-bed-id="([^"]+)"', phone)
    assert first and first.group(1) == bed_id
    assert 'hk-tag-stat' in card(phone, bed_id)
    # A housekeeper cannot make a job stat; a secretary cannot start one.
    cleaner = signed_in(unit.app, Role.HOUSEKEEPER)
    own = {**form_of(page, bed_id, "stat"), "csrf_token": page_token(cleaner, "/housekeeping/jobs")}
    assert post(cleaner, bed_id, "stat", own).status_code == 403
    assert post(desk, bed_id, "start", form_of(page, bed_id, "stat")).status_code == 403


def test_a_bed_that_was_isolated_needs_a_terminal_clean(hk_unit: Factory) -> None:
    unit = hk_unit()
    empty = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("isolate", bed_id=empty.id)
    unit.act("end-isolation", bed_id=empty.id)
    (task,) = open_jobs(unit, empty.id)
    assert clean_type(task) == codes.CLEAN_TERMINAL
    # A discharge from an isolated bed, and from an ordinary one.
    isolated = next(t for t in unit.beds(BedState.ISOLATED) if t.patient)
    unit.act("discharge", encounter_id=isolated.patient.encounter_id, bed_id=isolated.id, disposition="home")
    occupied = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient)
    unit.act("discharge", encounter_id=occupied.patient.encounter_id, bed_id=occupied.id, disposition="home")
    assert [clean_type(t) for t in open_jobs(unit, isolated.id)] == [codes.CLEAN_TERMINAL]
    assert [clean_type(t) for t in open_jobs(unit, occupied.id)] == [codes.CLEAN_ROUTINE]
    phone = signed_in(unit.app, Role.HOUSEKEEPER).get("/housekeeping/jobs").get_data(as_text=True)
    assert "Terminal" in page_text(card(phone, empty.id)) and "Routine" in page_text(card(phone, occupied.id))


def test_figures_count_finished_jobs_per_kind_of_clean(hk_unit: Factory) -> None:
    unit = hk_unit()
    bed_id = waiting_bed(unit)
    client = signed_in(unit.app, Role.HOUSEKEEPER)
    started = post(client, bed_id, "start", form_of(client.get("/housekeeping/jobs").get_data(as_text=True),
                                                     bed_id, "start"))
    post(client, bed_id, "done", form_of(started.get_data(as_text=True), bed_id, "done"))
    nurse = signed_in(unit.app, Role.CHARGE_NURSE)
    figures = nurse.get("/housekeeping/figures")
    # The unit read and one search of the finished jobs (the unit's id was looked up by earlier pages).
    assert figures.status_code == 200 and figures.headers["X-FHIR-Requests"] == "2"
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td>", figures.get_data(as_text=True))
    assert ("Routine clean", "1") in rows and ("Terminal clean (isolation)", "0") in rows
    assert client.get("/housekeeping/figures").status_code == 403


def test_the_job_list_costs_the_same_requests_whatever_the_unit(hk_unit: Factory) -> None:
    counts = []
    for beds in (12, 60):
        unit = hk_unit(beds)
        client = signed_in(unit.app, Role.HOUSEKEEPER)
        counts.append(client.get("/housekeeping/jobs").headers["X-FHIR-Requests"])
        assert client.get("/housekeeping/home").status_code == 200
    assert counts[0] == counts[1]


def test_jobs_on_the_unit_only(hk_unit: Factory) -> None:
    """The home panel's one search finds cleaning jobs of every unit (another unit was built after this
    one); only this unit's are counted."""
    first = hk_unit()
    hk_unit()
    client = signed_in(first.app, Role.UNIT_SECRETARY)
    home = page_text(client.get("/housekeeping/home").get_data(as_text=True))
    waiting = sum(1 for t in first.beds(BedState.HOUSEKEEPING, BedState.CLEANING) for j in t.cleaning_tasks
                  if j.status != "in-progress")
    assert waiting and f"Housekeeping: {waiting} " in home


def test_on_epic_start_and_done_are_not_offered_and_say_why(hk_unit: Factory) -> None:
    """Epic (May 2026) allows Task updates but neither Task create nor transactions: a start (which may
    create the job) and done (bed and job in one transaction) are not offered; make stat is."""
    unit = hk_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    bed_id = waiting_bed(unit)
    phone = signed_in(unit.app, Role.HOUSEKEEPER).get("/housekeeping/jobs").get_data(as_text=True)
    assert "hk-start" not in phone and "hk-done" not in phone
    text = page_text(phone)
    assert "Not possible on this FHIR server" in text and "Start is not possible" in text
    assert "Done is not possible" in text
    desk = signed_in(unit.app, Role.UNIT_SECRETARY)
    page = desk.get("/housekeeping/").get_data(as_text=True)
    answer = post(desk, bed_id, "stat", form_of(page, bed_id, "stat"))
    assert answer.status_code == 200


def test_the_poll_answers_the_list_and_a_failed_poll_keeps_the_screen(hk_unit: Factory) -> None:
    unit = hk_unit()
    poll = signed_in(unit.app, Role.HOUSEKEEPER).get("/housekeeping/list?screen=phone", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and poll.get_data(as_text=True).lstrip().startswith('<div id="hk-region"')
    assert "hk-start" in poll.get_data(as_text=True)
    refused = signed_in(unit.app, Role.NURSE).get("/housekeeping/list", headers={"HX-Request": "true"})
    assert refused.status_code == 503 and refused.headers["HX-Reswap"] == "none"
    assert signed_in(unit.app, Role.NURSE).get("/housekeeping/").status_code == 403


def test_done_without_start_records_who_finished(hk_unit: Factory) -> None:
    unit = hk_unit()
    bed_id = waiting_bed(unit)
    (task,) = open_jobs(unit, bed_id)
    client = signed_in(unit.app, Role.HOUSEKEEPER)
    done = post(client, bed_id, "done", form_of(client.get("/housekeeping/jobs").get_data(as_text=True), bed_id,
                                                 "done"))
    assert done.status_code == 200
    finished = unit.read("Task", task["id"])
    assert finished["status"] == "completed" and finished["owner"] == {"display": "Rosa Mendes"}
    assert finished["executionPeriod"]["start"] == finished["executionPeriod"]["end"]


def test_the_bed_panel_shows_a_dirty_beds_cleaning_job(hk_unit: Factory) -> None:
    unit = hk_unit()
    cleaning = unit.beds(BedState.CLEANING)[0]
    occupied = unit.beds(BedState.OCCUPIED)[0]
    desk = signed_in(unit.app, Role.UNIT_SECRETARY)
    panel = desk.get(f"/beds/bed/{cleaning.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'hx-get="/housekeeping/section/{cleaning.id}"' in panel
    section = desk.get(f"/housekeeping/section/{cleaning.id}")
    assert section.headers["X-FHIR-Requests"] == "2"
    text = page_text(section.get_data(as_text=True))
    assert "Cleaning: routine clean" in text and "Rosa Mendes is cleaning" in text
    assert page_text(desk.get(f"/housekeeping/section/{occupied.id}").get_data(as_text=True)).strip() == ""
    nurse = signed_in(unit.app, Role.NURSE)
    assert "/housekeeping/section/" not in nurse.get(f"/beds/bed/{cleaning.id}",
                                                     headers={"HX-Request": "true"}).get_data(as_text=True)


def test_the_polled_list_reads_no_census_while_nothing_changed(hk_unit: Factory) -> None:
    """The list takes the shared census (kiosk.census): a poll costs the look at the server's changes only,
    and a discharge made on the server (not through the kiosk) brings its bed onto the next poll."""
    unit = hk_unit()
    client = signed_in(unit.app, Role.HOUSEKEEPER)
    client.get("/housekeeping/jobs")  # the census into the shared store
    same = client.get("/housekeeping/list?screen=phone", headers={"HX-Request": "true"})
    assert same.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    leaving = unit.beds(BedState.OCCUPIED)[0]
    assert f'data-bed-id="{leaving.id}"' not in same.get_data(as_text=True)
    unit.act("discharge", encounter_id=leaving.patient.encounter_id, bed_id=leaving.id, disposition="home")
    changed = client.get("/housekeeping/list?screen=phone", headers={"HX-Request": "true"})
    assert changed.headers["X-FHIR-Requests"] == CENSUS_READ_AGAIN_REQUESTS  # the look, then the census
    assert "hk-start" in card(changed.get_data(as_text=True), leaving.id)
