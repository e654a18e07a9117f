"""Calls from the nurse-call system (the simulator, a process of its own, posting signed JSON to the kiosk
served over HTTP): a call is logged once and rings a bell on its bed's tile until it is cleared at the
bedside; a call with a bad signature, an unknown bed or reason is refused and nothing is logged."""

from __future__ import annotations

import json

from flask import Flask

from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.calls.models import CallLight
from kiosk.extensions import database
from kiosk.fhir.records import LocationRecord
from kiosk.web.signed import signed_headers
from tests.support.auth import sign_in_client

from .conftest import CALLS_SECRET, Simulator


def calls(app: Flask) -> list[CallLight]:
    with app.app_context(), database().session() as session:
        return list(session.query(CallLight).order_by(CallLight.id))


def test_a_simulator_call_is_logged_once_rings_on_the_board_and_is_cleared_at_the_bedside(
        calls_app: Flask, simulator: Simulator, occupied_beds: list[LocationRecord]) -> None:
    bed = occupied_beds[0]
    done = simulator("call", "--bed", bed.identifier, "--reason", "pain", "--id", "nc-1001")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == "raised"
    again = simulator("call", "--bed", bed.identifier, "--reason", "pain", "--id", "nc-1001")  # a retry
    assert json.loads(again.stdout)["result"] == "known"
    [call] = calls(calls_app)
    assert (call.bed_ref, call.bed_name, call.reason, call.source) == (bed.reference, bed.name, "pain", "nurse-call")

    secretary = sign_in_client(calls_app.test_client(), Role.UNIT_SECRETARY)
    board = secretary.get("/beds/").get_data(as_text=True)
    tile = board[board.index(f'data-bed-id="{bed.id}"'):]
    tile = tile[:tile.index("</button>")]
    assert '<span class="mark mark-call">Call: Pain</span>' in tile  # the bell is the mark's look (kiosk.css)
    screen = secretary.get("/calls/").get_data(as_text=True)
    assert bed.name in screen and "nurse call" in screen and "Waiting" in screen
    assert "1 call light waiting" in secretary.get("/").get_data(as_text=True)

    cleared = simulator("clear", "--id", "nc-1001", "--by", "Lena Ortiz")
    assert json.loads(cleared.stdout)["result"] == "answered"
    assert json.loads(simulator("clear", "--id", "nc-1001").stdout)["result"] == "already answered"
    [call] = calls(calls_app)
    assert call.answered_how == "bedside" and call.answered_by == "Lena Ortiz" and call.response_seconds is not None
    assert "mark-call" not in secretary.get("/beds/").get_data(as_text=True)


def test_a_call_with_a_bad_signature_an_unknown_bed_or_reason_is_refused(
        calls_app: Flask, simulator: Simulator, occupied_beds: list[LocationRecord]) -> None:
    bed = occupied_beds[1].identifier
    forged = Simulator(simulator.kiosk, secret="not-the-nurse-call-secret-000")("call", "--bed", bed, "--reason",
                                                                                 "emergency")
    assert forged.returncode == 1 and json.loads(forged.stdout)["status"] == 401
    assert "signature does not match" in json.loads(forged.stdout)["reason"]
    unknown_bed = simulator("call", "--bed", "9Z-999", "--reason", "pain")
    assert json.loads(unknown_bed.stdout)["status"] == 422
    taken = simulator("call", "--bed", bed, "--reason", "pain", "--id", "x").stdout
    assert json.loads(taken)["status"] == 201
    client = calls_app.test_client()
    body = json.dumps({"event": "call", "id": "y", "bed": bed, "reason": "hungry"}).encode()
    refused = client.post("/calls/webhook", data=body, headers=signed_headers(CALLS_SECRET, body))
    assert refused.status_code == 422 and refused.json["reason"] == "Unknown reason 'hungry'."
    unsigned = client.post("/calls/webhook", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert [c.external_id for c in calls(calls_app)] == ["x"]
    with calls_app.app_context(), database().session() as session:
        refusals = [r.detail for r in session.query(AuditRecord).filter_by(action="call-refused")]
    assert len(refusals) == 4 and all("9Z-999" not in (d or "") or "No bed" in d for d in refusals)
