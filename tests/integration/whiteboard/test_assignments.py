"""Shift assignments on the real FHIR server (sekmet-fhir): care teams written in one transaction,
conflicts between stations, copying the last shift, and what the screens and the audit trail say."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from kiosk.auth import Role
from kiosk.fhir.census import unit_census
from kiosk.fhir.change import Done
from kiosk.fhir.client import count_requests
from kiosk.whiteboard import NURSE, NURSING_ASSISTANT, SNOMED
from tests.support.beds import audit_rows, page_text, signed_in
from tests.support.whiteboard import WHITEBOARD_UNCHANGED_REQUESTS, Ward, split_among

Factory = Callable[..., Ward]


def members(team: dict) -> dict[str, str]:
    """SNOMED role code -> member reference of a CareTeam as the server holds it."""
    out = {}
    for participant in team.get("participant") or []:
        for role in participant.get("role") or []:
            for coding in role.get("coding") or []:
                if coding.get("system") == SNOMED:
                    out[coding["code"]] = participant["member"]["reference"]
    return out


def team_of(ward: Ward, encounter_id: str, which: str = "current") -> dict | None:
    screen = ward.screen(which)
    found = ward.gw.client.search("CareTeam", [("_id", ",".join(r.split("@")[0].split("/")[1]
                                                                for r in screen.seen.split()))]).matches
    return next((t for t in found if t.get("encounter", {}).get("reference") == f"Encounter/{encounter_id}"), None)


def test_twenty_beds_are_assigned_in_one_transaction(ward: Factory) -> None:
    unit = ward(28)
    screen = unit.screen()
    assert len(screen.beds) >= 20
    beds = screen.beds[:20]

    def choose(s):  # type: ignore[no-untyped-def]
        chosen, charge = split_among(s, unit.nurses, unit.aides, unit.nurses[2])
        return {b.id: chosen[b.id] for b in beds}, charge

    with count_requests() as counter:
        outcome, planned = unit.assign(choose)
    assert isinstance(outcome, Done), outcome.message
    assert counter.by_kind.get("transaction") == 1
    assert not any(kind.startswith(("update", "create")) for kind in counter.by_kind)  # every write in that one
    assert planned.beds == 20 and len(planned.change) == 21  # 20 patients' teams and the charge nurse's
    after = unit.screen()
    by_bed = {b.id: b for b in after.beds}
    for bed in beds:
        assert by_bed[bed.id].current == {"nurse": screen_choice(unit, screen, bed.id, "nurse"),
                                          "aide": screen_choice(unit, screen, bed.id, "aide")}
    assert after.charge == unit.nurses[2].ref
    team = team_of(unit, beds[0].encounter_id)
    assert team is not None and team["meta"]["versionId"] == "1" and team["status"] == "active"
    assert team["category"][0]["coding"][0]["code"] == "LA27976-2"
    assert team["subject"]["reference"].startswith("Patient/")
    assert set(members(team)) == {NURSE, NURSING_ASSISTANT}
    assert team["identifier"][0]["value"] == f"{beds[0].encounter_id}/{after.shift.key}"
    assert team["participant"][0]["period"]["start"] and team["period"]["end"]


def screen_choice(unit: Ward, screen, bed_id: str, slot: str) -> str:  # type: ignore[no-untyped-def]
    chosen, _ = split_among(screen, unit.nurses, unit.aides, unit.nurses[2])
    return chosen[bed_id][slot]


def test_assigning_again_as_it_is_writes_nothing_and_a_change_updates_only_that_team(ward: Factory) -> None:
    unit = ward(12)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    with count_requests() as counter:
        outcome, planned = unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    assert isinstance(outcome, Done) and len(planned.change) == 0
    assert "transaction" not in counter.by_kind and not any(k.startswith("update") for k in counter.by_kind)

    bed = unit.screen().beds[0]
    before = team_of(unit, bed.encounter_id)
    assert before is not None
    # Someone else (the EHR) added a case manager: the kiosk keeps them when it changes the nurse.
    before["participant"].append({"role": [{"text": "Case manager"}], "member": {"display": "Joan Whitfield"}})
    unit.gw.client.update({k: v for k, v in before.items() if k != "meta"}, version=before["meta"]["versionId"])
    outcome, planned = unit.assign(lambda s: ({bed.id: {"nurse": unit.nurses[3].ref}}, unit.nurses[0].ref))
    assert isinstance(outcome, Done) and len(planned.change) == 1
    after = team_of(unit, bed.encounter_id)
    assert after is not None and after["meta"]["versionId"] == "3"
    assert members(after)[NURSE] == unit.nurses[3].ref
    assert members(after)[NURSING_ASSISTANT] == bed.current["aide"]
    assert any(p["role"][0].get("text") == "Case manager" for p in after["participant"])


def test_a_stale_assignment_is_a_conflict_and_nothing_of_it_is_written(ward: Factory) -> None:
    unit = ward(12)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    client_a = signed_in(unit.app, Role.CHARGE_NURSE)
    client_b = signed_in(unit.app, Role.UNIT_SECRETARY)
    form_a = form_of(client_a.get("/whiteboard/assign").get_data(as_text=True))
    form_b = form_of(client_b.get("/whiteboard/assign").get_data(as_text=True))
    beds = form_a["beds"].split(",")
    first, second = beds[0], beds[1]

    # Station B moves the first bed to another nurse and saves.
    form_b[f"nurse-{first}"] = unit.nurses[3].ref
    saved = client_b.post("/whiteboard/assign", data=form_b, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Done" in page_text(saved.get_data(as_text=True))

    # Station A, still showing the old versions, changes the first and the second bed.
    form_a[f"nurse-{first}"] = unit.nurses[1].ref
    form_a[f"nurse-{second}"] = unit.nurses[1].ref
    refused = client_a.post("/whiteboard/assign", data=form_a, headers={"HX-Request": "true"})
    text = page_text(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Changed at another station" in text and "Nothing was written (checked on the FHIR server)." in text
    # What station A chose is still on its screen, unsaved, over the current state.
    assert re.search(rf'name="nurse-{second}" value="{re.escape(unit.nurses[1].ref)}"', refused.get_data(as_text=True))
    now = {b.id: b for b in unit.screen().beds}
    assert now[first].current["nurse"] == unit.nurses[3].ref  # B's choice stands
    assert now[second].current["nurse"] == form_b[f"nurse-{second}"]  # and A's second bed was not written either
    rows = [r for r in audit_rows(unit.app, "fhir-write") if "assign-shift" in (r.detail or "")]
    assert rows[0].outcome == "failure" and "412" in rows[0].detail


def test_a_team_written_at_another_station_since_the_screen_was_drawn_is_refused_before_sending(
        ward: Factory) -> None:
    unit = ward(12)
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    form = form_of(client.get("/whiteboard/assign").get_data(as_text=True))  # nothing assigned yet
    first = form["beds"].split(",")[0]
    outcome, _ = unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))  # another station
    assert isinstance(outcome, Done)
    taken = {b.id: b.current for b in unit.screen().beds}
    form[f"nurse-{first}"] = unit.nurses[3].ref
    refused = client.post("/whiteboard/assign", data=form, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    text = page_text(refused.get_data(as_text=True))
    assert "Changed at another station" in text
    assert "was assigned at another station since this screen was drawn" in text
    assert {b.id: b.current for b in unit.screen().beds} == taken  # the other station's assignment stands
    rows = [r for r in audit_rows(unit.app, "fhir-write") if "assign-shift" in (r.detail or "")]
    assert rows[0].outcome == "failure" and "before sending, nothing written" in rows[0].detail


def test_a_failed_transaction_leaves_no_new_team_behind(ward: Factory) -> None:
    """One team changed at another station makes the whole save fail: the teams it would have created are
    rolled back by the server, and the kiosk says so after reading them again."""
    unit = ward(12)
    first = unit.screen().beds[0]
    unit.assign(lambda s: ({first.id: {"nurse": unit.nurses[0].ref, "aide": unit.aides[0].ref}}, ""))
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    form = form_of(client.get("/whiteboard/assign").get_data(as_text=True))
    team = team_of(unit, first.encounter_id)
    assert team is not None  # changed at another station after the screen was drawn
    unit.gw.client.update({k: v for k, v in team.items() if k != "meta"}, version=team["meta"]["versionId"])
    for bed in form["beds"].split(","):
        form[f"nurse-{bed}"], form[f"aide-{bed}"] = unit.nurses[2].ref, unit.aides[1].ref
    refused = client.post("/whiteboard/assign", data=form, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "Nothing was written (checked on the FHIR server)." in page_text(refused.get_data(as_text=True))
    assert [b.current for b in unit.screen().beds[1:]] == [{} for _ in form["beds"].split(",")[1:]]


def test_copy_last_shift_offers_each_patient_their_nurse_and_a_new_patient_their_room_neighbours(
        ward: Factory) -> None:
    unit = ward(16)
    outcome, _ = unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[1]), which="previous")
    assert isinstance(outcome, Done)
    screen = unit.screen()
    previous, _ = split_among(unit.screen("previous"), unit.nurses, unit.aides, unit.nurses[1])
    for bed in screen.beds:
        assert bed.previous == previous[bed.id]
        assert bed.current == {}
    assert screen.previous_charge == unit.nurses[1].ref and screen.charge is None
    html = signed_in(unit.app, Role.CHARGE_NURSE).get("/whiteboard/assign").get_data(as_text=True)
    assert f'data-prev-charge="{unit.nurses[1].ref}"' in html
    assert html.count('data-prev-nurse="Practitioner/') == len(screen.beds)


def test_screens_and_polls_make_a_fixed_number_of_requests(ward: Factory) -> None:
    """Whatever the unit's size: the first screen reads the census into the shared census (kiosk.census);
    then, while nothing changed on the unit, the whiteboard and its poll cost the look at the server's
    changes and one request for the care teams (no census; the transport marks are kept per census
    version), and the assignment screen those and two more for the people (their PractitionerRoles, and
    the kiosk's staff linked to Practitioners)."""
    seen = set()
    for unit in (ward(12), ward(40)):
        unit.assign(lambda s, u=unit: split_among(s, u.nurses, u.aides, u.nurses[0]))
        with count_requests() as census:
            unit_census(unit.gw)
        client = signed_in(unit.app, Role.UNIT_SECRETARY)
        first = client.get("/whiteboard/")  # also the unit's identifier and the statement, once per process
        assert first.status_code == 200 and int(first.headers["X-FHIR-Requests"]) > census.total
        page = client.get("/whiteboard/")
        assert page.status_code == 200 and page.headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS
        region = client.get("/whiteboard/board", headers={"HX-Request": "true"})
        fingerprint = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', region.get_data(as_text=True))
        assert fingerprint is not None
        same = client.get("/whiteboard/board", headers={"HX-Request": "true",
                                                        "X-Board-Fingerprint": fingerprint.group(1)})
        assert same.status_code == 204 and same.headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS
        screen = client.get("/whiteboard/assign")
        assert screen.status_code == 200 and int(screen.headers["X-FHIR-Requests"]) == \
            int(WHITEBOARD_UNCHANGED_REQUESTS) + 2
        seen.add((census.total, first.headers["X-FHIR-Requests"], screen.headers["X-FHIR-Requests"]))
    assert len(seen) == 1  # the same for 12 beds and for 40


def test_who_may_assign_and_the_assignment_needs_a_sign_in(ward: Factory) -> None:
    unit = ward(12)
    provider = signed_in(unit.app, Role.PROVIDER)
    html = provider.get("/whiteboard/assign").get_data(as_text=True)
    assert "only a charge nurse or a unit secretary assigns a shift" in page_text(html)
    assert "data-save" not in html
    form = form_of(html)
    refused = provider.post("/whiteboard/assign", data=form)
    assert refused.status_code == 403
    assert unit.app.test_client().get("/whiteboard/assign").status_code == 302


def test_a_save_from_the_screen_is_audited_without_patient_data_in_the_log(
        ward: Factory, caplog: pytest.LogCaptureFixture) -> None:
    unit = ward(12)
    caplog.set_level(logging.DEBUG)
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    page = client.get("/whiteboard/assign").get_data(as_text=True)
    form = form_of(page)
    for bed in form["beds"].split(","):
        form[f"nurse-{bed}"] = unit.nurses[0].ref
    form["charge"] = unit.nurses[0].ref
    saved = client.post("/whiteboard/assign", data=form)
    assert saved.status_code == 200 and "Done" in page_text(saved.get_data(as_text=True))
    beds = form["beds"].split(",")
    rows = [r for r in audit_rows(unit.app, "fhir-write") if "assign-shift" in (r.detail or "")]
    assert rows and rows[0].outcome == "success" and rows[0].detail.count("CareTeam/") == len(beds) + 1
    names = re.findall(r'class="ab-patient">([^<]+)<', page)
    assert names and all(name.split(",")[0].lower() not in caplog.text.lower() for name in names)
    # The same form sent again (a double tap, a retry) finds it all saved and writes nothing.
    versions = [b.current for b in unit.screen().beds]
    again = client.post("/whiteboard/assign", data=form)
    assert again.status_code == 200 and "nothing needed changing" in page_text(again.get_data(as_text=True))
    assert [b.current for b in unit.screen().beds] == versions
    assert team_of(unit, unit.screen().beds[0].encounter_id)["meta"]["versionId"] == "1"  # type: ignore[index]


def form_of(html: str) -> dict[str, str]:
    """The assignment form's fields as the screen drew them (CSRF token included)."""
    start = html.index('<form class="assign-form"')
    form = html[start:html.index("</form>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields["csrf_token"] = csrf_token_of(html)
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


def csrf_token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)

