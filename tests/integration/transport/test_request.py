"""Asking for a transport on the real FHIR server: the one transaction it sends (a ServiceRequest and
its Task, the Task pointing at the new request by its urn:uuid), a double submit making one job, a round
trip making two linked jobs, isolation filled in from the patient's alert, the form keeping what was
chosen, a link from another workflow with a destination and an order, and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from kiosk.fhir import codes
from kiosk.fhir.client import FhirClient, identifier_query
from kiosk.fhir.records import parse_datetime
from kiosk.transport.fhir import SNOMED, TRANSPORT_CODE
from tests.support.beds import app_gateway, audit_rows, page_text
from tests.support.transport import TransportUnit, request_form, send_request

Factory = Callable[..., TransportUnit]


def recording(unit: TransportUnit) -> list[dict[str, Any]]:
    """Every JSON body the kiosk POSTs to the FHIR server from now on."""
    sent: list[dict[str, Any]] = []

    class Recorder(httpx.BaseTransport):
        inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.headers.get("content-type", "").startswith("application/fhir"):
                sent.append(json.loads(request.content))
            return self.inner.handle_request(request)

    gw = app_gateway(unit.app)
    gw.capabilities  # noqa: B018 - the statement is read once, before
    gw.client = FhirClient(gw.client.base_url, transport=Recorder())
    return sent


def test_the_request_is_one_transaction_whose_task_points_at_the_new_request(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    html, number = request_form(client, occupant)
    assert "Imaging (Radiology)" in html and "Discharge lounge" in html and "Beds on other units" in html
    sent = recording(unit)
    imaging = unit.department()
    response = send_request(client, occupant, number, destination=imaging.key, needs=["oxygen", "iv-pump"],
                            oxygen_lpm="2", priority="urgent", note="Bring the chart <b>& films</b>")
    page = page_text(response.get_data(as_text=True))
    assert response.status_code == 200, page[:600]
    assert f"Transport {number} for {occupant.name}: from {occupant.bed.name} to Imaging (Radiology), urgent, " \
           "pickup now (target 20 min)." in page
    assert response.headers["X-FHIR-Requests"] == "7"  # the form's six reads, and the one write

    [bundle] = sent
    assert bundle["type"] == "transaction"
    request_entry, task_entry = bundle["entry"]
    assert request_entry["request"] == {"method": "POST", "url": "ServiceRequest",
                                        "ifNoneExist": identifier_query(unit.sys.request, number)}
    assert task_entry["request"]["ifNoneExist"] == identifier_query(unit.sys.job, f"transport/{number}/outbound")
    urn = request_entry["fullUrl"]
    assert urn.startswith("urn:uuid:")
    assert task_entry["resource"]["basedOn"] == [{"reference": urn}] and task_entry["resource"]["focus"] == {
        "reference": urn}

    jobs = unit.jobs(number)
    [job] = jobs.jobs
    task = jobs.raw[job.reference]
    request_ref = task["basedOn"][0]["reference"]
    assert request_ref.startswith("ServiceRequest/") and task["focus"]["reference"] == request_ref
    sr = unit.gw.client.read("ServiceRequest", request_ref.split("/")[1])
    assert sr["status"] == "active" and sr["intent"] == "order" and sr["priority"] == "urgent"
    assert sr["code"]["coding"] == [{"system": SNOMED, "code": TRANSPORT_CODE,
                                     "display": "Transportation procedure (procedure)"}]
    assert sr["identifier"] == [{"system": unit.sys.request, "value": number}]
    assert sr["subject"]["reference"] == f"Patient/{occupant.patient_id}"
    assert sr["encounter"]["reference"] == f"Encounter/{occupant.encounter_id}"
    assert sr["requester"]["display"] == "Dana Reyes" and sr["requester"]["identifier"]["value"] == "100001"
    assert sr["locationReference"][0]["reference"] == imaging.reference
    assert sr["note"][0]["text"] == "Bring the chart <b>& films</b>"
    assert task["status"] == "requested" and task["intent"] == "order" and task["priority"] == "urgent"
    assert task["for"]["reference"] == f"Patient/{occupant.patient_id}"
    assert task["groupIdentifier"]["value"] == number
    assert task["businessStatus"]["coding"][0]["code"] == "pending"
    assert job.origin.reference == occupant.bed.reference and job.origin.unit == occupant.bed.unit
    assert job.destination.reference == imaging.reference and job.destination.unit is None
    assert job.mode == "wheelchair" and [n.code for n in job.needs] == ["oxygen", "iv-pump"]
    assert job.oxygen_lpm == 2.0 and job.needs[0].text == "Oxygen 2 L/min"
    period = task["restriction"]["period"]
    assert parse_datetime(period["end"]) - parse_datetime(period["start"]) == timedelta(minutes=20)
    assert parse_datetime(period["start"]) == parse_datetime(task["authoredOn"])
    [row] = [r for r in audit_rows(unit.app, "fhir-write") if r.detail.startswith("transport-request")]
    assert row.outcome == "success" and row.patient == f"Patient/{occupant.patient_id}"
    assert occupant.name not in row.detail and (occupant.mrn or "?") not in row.detail


def test_a_double_submit_makes_one_job(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    _html, number = request_form(client, occupant)
    fields = {"destination": "place:discharge-lounge", "purpose": "discharge"}
    first = send_request(client, occupant, number, **fields)
    second = send_request(client, occupant, number, **fields)
    assert first.status_code == second.status_code == 200
    assert "Already sent" in page_text(second.get_data(as_text=True))
    assert "Nothing new was created" in page_text(second.get_data(as_text=True))
    requests = unit.gw.client.search("ServiceRequest", [("identifier", f"{unit.sys.request}|{number}")])
    assert len(requests.matches) == 1
    assert len(unit.jobs(number).jobs) == 1
    [job] = unit.jobs(number).jobs
    assert job.destination.code == "discharge-lounge" and job.destination.name == "Discharge lounge"


def test_a_round_trip_makes_two_linked_jobs_the_way_back_waiting_for_the_call(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    _html, number = request_form(client, occupant)
    response = send_request(client, occupant, number, destination=unit.department("DEPT-ECHO").key, round_trip="y")
    assert "A way back is set up: call for it when the patient is ready." in page_text(response.get_data(as_text=True))
    jobs = unit.jobs(number)
    out = next(j for j in jobs.jobs if j.leg == "outbound")
    back = next(j for j in jobs.jobs if j.leg == "return")
    assert out.status == "requested" and back.status == "draft" and back.due_by is None
    assert back.origin.reference == out.destination.reference and back.destination.reference == out.origin.reference
    assert back.destination.unit == occupant.bed.unit
    assert back.request == out.request and back.number == out.number == number
    after = next(i for i in jobs.raw[back.reference]["input"] if i["type"]["coding"][0]["code"] == "after")
    assert after["valueReference"]["reference"] == out.reference  # the server put the new Task's id in place


def test_a_way_back_at_a_time_waits_for_a_transporter_from_that_time(transport_unit: Factory) -> None:
    from kiosk import timeutil

    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    _html, number = request_form(client, occupant)
    back_at = timeutil.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    response = send_request(client, occupant, number, destination=unit.department().key, round_trip="y",
                            return_at=back_at.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 200
    back = next(j for j in unit.jobs(number).jobs if j.leg == "return")
    assert back.status == "requested" and back.due_from == back_at


def test_isolation_and_fall_risk_are_filled_in_from_the_patients_alerts(transport_unit: Factory) -> None:
    unit = transport_unit(12)
    census = unit.census()
    isolated = {p for p, flags in census.flags.items() if any(codes.flag_kind(f.category) == "isolation"
                                                              for f in flags)}
    occupant = next(o for o in unit.occupants() if f"Patient/{o.patient_id}" in isolated)
    flag = next(f for f in census.flags[f"Patient/{occupant.patient_id}"] if f.category == codes.FLAG_ISOLATION)
    client = unit.client()
    html, number = request_form(client, occupant)
    box = html[html.index(f'value="{flag.code}"') - 200: html.index(f'value="{flag.code}"') + 300]
    assert "checked" in box and "from the patient's alert" in box
    send_request(client, occupant, number, destination=unit.department().key, needs=[flag.code])
    [job] = unit.jobs(number).jobs
    assert [(n.code, n.text) for n in job.needs] == [(flag.code, flag.text)]


def test_the_form_says_what_is_missing_and_keeps_what_was_chosen(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    _html, number = request_form(client, occupant)
    response = send_request(client, occupant, number, mode="stretcher", note="Ça va – 80 caractères ^~<>&")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose where the patient is going." in page_text(html)
    assert 'value="stretcher" checked' in html and "Ça va – 80 caractères ^~&lt;&gt;&amp;" in html
    assert f'value="{number}"' in html  # the same request number: sending again is still one job
    past = send_request(client, occupant, number, destination=unit.department().key, when="at",
                        pickup_at=(datetime.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    assert past.status_code == 422 and "That pickup time has passed." in page_text(past.get_data(as_text=True))
    oxygen = send_request(client, occupant, number, destination=unit.department().key, needs=["oxygen"],
                          oxygen_lpm="40")
    assert "The oxygen flow must be between 0.25 and 15 L/min." in page_text(oxygen.get_data(as_text=True))
    assert unit.jobs(number).jobs == []  # nothing was written


def test_other_workflows_link_with_a_destination_and_the_order_the_move_is_for(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    order = unit.gw.client.create({
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "code": {"text": "CT head without contrast"}, "subject": {"reference": f"Patient/{occupant.patient_id}"}})
    client = unit.client()
    imaging = unit.department()
    html, number = request_form(client, occupant, f"?destination={imaging.key}&order={order.id}&purpose=test")
    assert "For the order: CT head without contrast" in page_text(html)
    assert f'value="{imaging.key}" checked' in html and 'value="test" checked' in html
    send_request(client, occupant, number, destination=imaging.key, order=order.id)
    [job] = unit.jobs(number).jobs
    sr = unit.gw.client.read("ServiceRequest", (job.request or "/").split("/")[1])
    assert sr["basedOn"] == [{"reference": f"ServiceRequest/{order.id}"}]
    # An order of another patient is not named.
    other = unit.occupants()[1]
    html, _ = request_form(client, other, f"?order={order.id}")
    assert "is not this patient's or could not be found" in page_text(html)


def test_only_a_unit_secretary_or_a_charge_nurse_asks_for_transport(transport_unit: Factory) -> None:
    from kiosk.auth import Role

    unit = transport_unit()
    occupant = unit.occupants()[0]
    response = unit.client(Role.TRANSPORTER).get(f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}")
    assert response.status_code == 403
    assert "Only a unit secretary or a charge nurse may ask for patient transport." in response.get_data(as_text=True)
    wrong = unit.client().get(f"/transport/request/{occupant.patient_id}/{unit.occupants()[1].encounter_id}")
    assert wrong.status_code == 404  # the encounter is another patient's
