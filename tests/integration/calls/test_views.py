"""The call-light screens: a call in two taps, one tap to page the bed's nurse (through paging, to a real
webhook receiver: STAT for an emergency), emergencies first and red, answered at the kiosk, and the
figures per shift with their chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, timedelta

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.calls.figures import shift_at
from kiosk.calls.models import CallLight, Reason, utcnow
from kiosk.calls.services import NewCall, answer, raise_call
from kiosk.calls.settings import CallsSettings
from kiosk.extensions import database
from kiosk.fhir.change import Done
from kiosk.fhir.records import LocationRecord
from kiosk.nav import BedAssignment, add_bed_assignments
from tests.support.auth import sign_in_client
from tests.support.beds import BedUnit
from tests.support.paging import SmtpSink, WebhookReceiver, paging_env
from tests.support.whiteboard import Ward, split_among


def token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html) or re.search(rf'value="([^"]+)"[^>]*name="{name}"',
                                                                                 html)
    assert match, name
    return match.group(1)


def two_taps(client: FlaskClient, bed: LocationRecord, reason: str) -> str:
    page = client.get("/calls/").get_data(as_text=True)
    assert f'value="{bed.id}"' in page  # the bed is on the grid
    response = client.post("/calls/raise", data={"csrf_token": token(page, "csrf_token"),
                                                 "token": token(page, "token"), "bed": bed.id, "reason": reason},
                           follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stored(app: Flask) -> list[CallLight]:
    with app.app_context(), database().session() as session:
        return list(session.query(CallLight).order_by(CallLight.id))


def test_two_taps_log_a_call_and_one_tap_pages_the_nurse(calls_app: Flask, webhook: WebhookReceiver,
                                                         occupied_beds: list[LocationRecord]) -> None:
    secretary = sign_in_client(calls_app.test_client(), Role.UNIT_SECRETARY)
    bed, urgent_bed = occupied_beds[2], occupied_beds[3]
    two_taps(secretary, bed, "bathroom")
    html = two_taps(secretary, urgent_bed, "emergency")
    first, emergency = stored(calls_app)
    assert first.source == "kiosk" and first.entered_by == "Dana Reyes" and emergency.emergency
    assert html.index(f'data-bed="{urgent_bed.name}"') < html.index(f'data-bed="{bed.name}"')  # emergencies on top
    assert 'class="call-card is-emergency timer-red' in html

    # Nobody is assigned yet (until the whiteboard registers assignments): the secretary picks the nurse.
    picker = secretary.get(f"/calls/{emergency.id}/page").get_data(as_text=True)
    assert "Lena Ortiz" in picker and "An emergency is paged STAT." in picker
    nurse = re.search(r'name="nurse" value="([^"]+)">\s*<button class="nurse-button" type="submit"\s*>\s*'
                      r'<span class="nurse-name">Lena Ortiz', picker)
    assert nurse, picker
    paged = secretary.post(f"/calls/{emergency.id}/page", data={"csrf_token": token(picker, "csrf_token"),
                                                                "nurse": nurse.group(1)})
    assert paged.status_code == 200 and "Nurse paged" in paged.get_data(as_text=True)
    [post] = webhook.wait_for(1)
    assert post.json["urgency"] == "stat" and post.json["to"]["value"] == "securechat:lena.ortiz"
    assert post.json["text"].startswith(f"STAT 4 West Bed {urgent_bed.name}: Call light: Emergency. Call 4 West")
    emergency = stored(calls_app)[1]
    assert emergency.page_id is not None and emergency.paged_to == nurse.group(1)
    screen = secretary.get("/calls/").get_data(as_text=True)
    assert "Paged Lena Ortiz, 0 min ago: waiting" in screen
    paging_screen = secretary.get("/paging/").get_data(as_text=True)
    assert "Call light" in paging_screen and "Lena Ortiz" in paging_screen

    # With the whiteboard's assignment registered, the bed's nurse is one tap away.
    add_bed_assignments(calls_app, lambda beds: {b: [BedAssignment(nurse.group(1), "Lena Ortiz")] for b in beds})
    screen = secretary.get("/calls/").get_data(as_text=True)
    assert "Page Lena Ortiz" in screen

    answered = secretary.post(f"/calls/{first.id}/answered", data={"csrf_token": token(screen, "csrf_token")})
    assert answered.status_code == 200 and f"The call from {bed.name} is answered." in answered.get_data(as_text=True)
    again = secretary.post(f"/calls/{first.id}/answered", data={"csrf_token": token(screen, "csrf_token")})
    assert again.status_code == 409
    first = stored(calls_app)[0]
    assert first.answered_how == "kiosk" and first.answered_by == "Dana Reyes" and first.response_seconds is not None
    assert secretary.get("/calls/open").headers["X-FHIR-Requests"] == "0"

    # Answered, the paged emergency still says what became of its page.
    screen = secretary.get("/calls/").get_data(as_text=True)
    secretary.post(f"/calls/{emergency.id}/answered", data={"csrf_token": token(screen, "csrf_token")})
    answered_today = secretary.get("/calls/open").get_data(as_text=True).split('id="answered-title"')[1]
    assert f'id="call-{emergency.id}"' in answered_today
    assert re.search(r"Paged Lena Ortiz, at \d\d:\d\d: waiting", answered_today), answered_today


def test_the_nurse_assigned_on_the_whiteboard_is_paged_in_one_tap(ward: Callable[..., Ward], smtp: SmtpSink,
                                                                  webhook: WebhookReceiver) -> None:
    """No stand-in for the assignments: the shift is assigned through the whiteboard's service on the real
    server, and a call from a bed offers (and pages) exactly the nurse assigned to that bed."""
    unit = ward(12, **paging_env(smtp.port, webhook.url))
    occupied = {t.id: t for t in BedUnit(ref=unit.ref, gw=unit.gw).beds(BedState.OCCUPIED) if t.patient}
    nurse = unit.nurses[1]

    def choose(screen):  # type: ignore[no-untyped-def]
        chosen, charge = split_among(screen, unit.nurses, unit.aides, unit.nurses[0])
        first = next(b.id for b in screen.beds if b.id in occupied)
        for bed_id in chosen:  # one occupied bed for this nurse, every other bed (empty ones too) for someone else
            chosen[bed_id]["nurse"] = unit.nurses[1 if bed_id == first else 0].ref
        return chosen, charge

    outcome, _ = unit.assign(choose)
    assert isinstance(outcome, Done), outcome.message
    [bed_id] = [b.id for b in unit.screen().beds if b.current.get("nurse") == nurse.ref]
    bed = occupied[bed_id]
    # The nurse's role on the unit gets a secure-messaging address (the ward's roles are made without one).
    [role] = unit.gw.client.search("PractitionerRole", [("practitioner", nurse.ref)]).matches
    handle = f"securechat:{nurse.name.lower().replace(' ', '.')}"
    unit.gw.client.update({**role, "telecom": [{"system": "other", "value": handle, "use": "work", "rank": 1}]},
                          version=role["meta"]["versionId"])

    secretary = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    two_taps(secretary, bed, "pain")  # type: ignore[arg-type]
    [call] = stored(unit.app)
    screen = secretary.get("/calls/").get_data(as_text=True)
    offer = re.search(rf'action="/calls/{call.id}/page".*?name="nurse" value="([^"]+)">\s*'
                      r'<button class="button" type="submit">Page ([^<]+)</button>', screen, re.S)
    assert offer, screen
    assert offer.groups() == (nurse.ref, nurse.name)
    assert all(f"Page {other.name}" not in screen for other in unit.nurses if other is not nurse)

    paged = secretary.post(f"/calls/{call.id}/page", data={"csrf_token": token(screen, "csrf_token"),
                                                           "nurse": offer.group(1)})
    assert paged.status_code == 200 and "Nurse paged" in paged.get_data(as_text=True)
    [post] = webhook.wait_for(1)
    assert post.signature_ok and post.json["to"]["value"] == handle and post.json["urgency"] == "urgent"
    assert post.json["text"].startswith(f"URGENT 4 West Bed {bed.name}: Call light: Pain. Call 4 West")
    [call] = stored(unit.app)
    assert call.page_id is not None and call.paged_to == nurse.ref
    assert f"Paged {nurse.name}, 0 min ago: waiting" in secretary.get("/calls/").get_data(as_text=True)


def test_a_provider_looks_but_does_not_log_page_or_answer(calls_app: Flask,
                                                         occupied_beds: list[LocationRecord]) -> None:
    provider = sign_in_client(calls_app.test_client(), Role.PROVIDER)
    page = provider.get("/calls/").get_data(as_text=True)
    assert "Log a call" not in page
    refused = provider.post("/calls/raise", data={"csrf_token": token(page, "csrf_token"), "token": "0" * 32,
                                                  "bed": occupied_beds[0].id, "reason": "pain"})
    assert refused.status_code == 403 and stored(calls_app) == []


def test_the_figures_per_shift_count_calls_and_minutes_to_answer_by_reason(calls_app: Flask) -> None:
    now = utcnow()
    shift = shift_at(now, CallsSettings())
    base = max(now - timedelta(minutes=30), shift.start.astimezone(UTC).replace(tzinfo=None))  # in this shift
    minutes = {"pain": [2, 4, 6, 8, 10], "bathroom": [1, 3], "emergency": [1]}
    with calls_app.app_context():
        for reason, answers in minutes.items():
            for i, m in enumerate(answers):
                call_id, _ = raise_call(database(), NewCall("kiosk", f"f-{reason}-{i}", "4W-NS-1", "Location/x",
                                                            "4W-401", Reason(reason), base))
                answer(database(), call_id, "kiosk", "Dana Reyes", base + timedelta(minutes=m))
        raise_call(database(), NewCall("kiosk", "f-open", "4W-NS-1", "Location/x", "4W-402A", Reason.HELP, base))
    viewer = sign_in_client(calls_app.test_client(), Role.CHARGE_NURSE)
    html = viewer.get("/calls/figures").get_data(as_text=True)
    cards = re.findall(r'<span class="figure-n">([^<]+)</span>', html)
    # 9 calls, 8 answered in 1, 1, 2, 3, 4, 6, 8, 10 minutes: median 3.5, 90th percentile the 8th (nearest rank)
    assert cards == ["9", "8", "3.5", "10.0"]
    rows = {r[0]: r[1:] for r in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>",
                                            html)}
    assert rows["Pain"] == ("5", "6.0", "10.0") and rows["Bathroom"] == ("2", "2.0", "3.0")
    assert rows["Needs help"] == ("1", "–", "–") and rows["Bed alarm"] == ("0", "–", "–")
    svg = html[html.index("<svg class=\"figures-chart\""):]
    svg = svg[:svg.index("</svg>")]
    assert 'class="bar bar-median"' in svg and "style=" not in svg and "<script" not in svg
    assert svg.count('class="chart-label') == 7  # all calls, then the six reasons
    assert "4W-401" not in html  # figures name no bed
    other = viewer.get(f"/calls/figures?shift={shift_at(now - timedelta(hours=12), CallsSettings()).key}")
    assert other.status_code == 200 and '<span class="figure-n">0</span>' in other.get_data(as_text=True)
    assert viewer.get("/calls/figures?shift=nonsense").status_code == 404
