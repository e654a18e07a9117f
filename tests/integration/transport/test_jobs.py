"""Actions on a transport job on the real FHIR server: each a Task update with If-Match from the version
on screen. Two transporters accept one job and one wins, the other is told who has it; a wrong armband
is refused at pickup and nothing is written; a 1D barcode asks for the date of birth; delivering the last
leg completes the request; cancelling before pickup cancels the way back and revokes the request; a
delay is a note; Epic and Oracle Health get what their statements allow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from kiosk.auth import Role, StaffMember
from kiosk.fhir.change import Conflict, Done, send
from kiosk.transport.services import JobChoices, plan_job_action
from kiosk.transport.settings import TransportSettings
from tests.support.beds import app_gateway, audit_rows, page_text, vendor_statement
from tests.support.transport import TransportUnit, act, seen_of

Factory = Callable[..., TransportUnit]


def test_two_transporters_accept_one_job_one_wins_and_the_other_sees_who_has_it(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    jobs = unit.seed(occupant, state="requested")
    [job] = jobs.jobs
    seen = seen_of(jobs, job.id)  # both phones show version 1
    jordan = unit.client(Role.TRANSPORTER)
    riley = unit.add_second_transporter()
    first = act(jordan, job.id, "accept", job.number or "", seen)
    assert first.status_code == 200, page_text(first.get_data(as_text=True))[:500]
    assert "You have the job" in page_text(first.get_data(as_text=True))
    second = act(riley, job.id, "accept", job.number or "", seen)
    text = page_text(second.get_data(as_text=True))
    assert second.status_code == 409 and "Jordan Blake has this job now." in text
    task = unit.gw.client.read("Task", job.id)
    assert task["status"] == "accepted" and task["owner"]["display"] == "Jordan Blake"
    assert task["meta"]["versionId"] == "2" and task["businessStatus"]["coding"][0]["code"] == "dispatched"
    # Riley's screen no longer offers it; Jordan's lists it under "My jobs".
    assert f'data-job-id="{job.id}"' not in riley.get("/transport/jobs").get_data(as_text=True)
    mine = jordan.get("/transport/jobs").get_data(as_text=True)
    assert mine.index(f'data-job-id="{job.id}"') < mine.index("Waiting for a transporter <")


def test_when_both_accept_at_the_same_moment_the_server_lets_one_through(transport_unit: Factory) -> None:
    """Both plans are made from version 1 before either is sent: the If-Match refuses the second."""
    unit = transport_unit()
    [job] = unit.seed(unit.occupants()[0], state="requested").jobs
    now = datetime.now(UTC)
    staff = [StaffMember(1, "100007", "Jordan Blake", Role.TRANSPORTER, None),
             StaffMember(2, "100095", "Riley Moss", Role.TRANSPORTER, None)]
    plans = [plan_job_action(unit.gw, TransportSettings(), s, "accept", job.id, JobChoices(job.number or ""), now)
             for s in staff]
    outcomes = [send(unit.gw, p.change, {job.reference: "1"}) for p in plans]
    assert isinstance(outcomes[0], Done) and isinstance(outcomes[1], Conflict)
    assert outcomes[1].now.current[job.reference]["owner"]["display"] == "Jordan Blake"
    assert outcomes[1].now.nothing_written


def test_a_wrong_armband_is_refused_at_pickup_and_nothing_is_written(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant, other = unit.occupants()[:2]
    jobs = unit.seed(occupant, state="accepted", owner=unit.owner())
    [job] = jobs.jobs
    jordan = unit.client(Role.TRANSPORTER)
    response = act(jordan, job.id, "pickup", job.number or "", seen_of(jobs, job.id),
                   code=f"MRN:{other.mrn}|ENC:{other.encounter_number}")
    assert response.status_code == 422
    assert "This armband is not this job's patient. Do not move the patient" in page_text(
        response.get_data(as_text=True))
    # Half right is wrong too: this patient's MRN with another stay's number.
    half = act(jordan, job.id, "pickup", job.number or "", seen_of(jobs, job.id),
               code=f"MRN:{occupant.mrn}|ENC:{other.encounter_number}")
    assert half.status_code == 422
    task = unit.gw.client.read("Task", job.id)
    assert task["meta"]["versionId"] == "1" and task["status"] == "accepted"
    refusals = [r for r in audit_rows(unit.app, "fhir-write") if r.detail.startswith("transport-pickup")]
    assert len(refusals) == 2 and all(r.outcome == "failure" for r in refusals)
    assert all((other.mrn or "?") not in r.detail for r in refusals)


def test_the_armband_data_matrix_gives_both_identifiers(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    jobs = unit.seed(occupant, state="accepted", owner=unit.owner())
    [job] = jobs.jobs
    response = act(unit.client(Role.TRANSPORTER), job.id, "pickup", job.number or "", seen_of(jobs, job.id),
                   code=f"MRN:{occupant.mrn}|ENC:{occupant.encounter_number}")
    assert response.status_code == 200, page_text(response.get_data(as_text=True))[:400]
    task = unit.gw.client.read("Task", job.id)
    assert task["status"] == "in-progress" and task["executionPeriod"]["start"]
    assert task["businessStatus"]["coding"][0]["code"] == "picked-up"
    identity = next(o for o in task["output"] if o["type"]["coding"][0]["code"] == "identity-check")
    assert identity["valueString"] == "armband Data Matrix: MRN and encounter number"


def test_a_1d_barcode_asks_for_the_date_of_birth_as_the_second_identifier(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    jobs = unit.seed(occupant, state="accepted", owner=unit.owner())
    [job] = jobs.jobs
    jordan = unit.client(Role.TRANSPORTER)
    seen = seen_of(jobs, job.id)
    asked = act(jordan, job.id, "pickup", job.number or "", seen, code=occupant.mrn)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'name="birth_date"' in html
    assert "The barcode matches this patient's MRN. Ask the patient their date of birth" in page_text(html)
    assert f'value="{occupant.mrn}"' in html  # the scan is kept
    wrong = act(jordan, job.id, "pickup", job.number or "", seen, code=occupant.mrn, birth_date="1901-01-01")
    assert wrong.status_code == 422 and "That date of birth is not this job's patient's." in page_text(
        wrong.get_data(as_text=True))
    assert unit.gw.client.read("Task", job.id)["meta"]["versionId"] == "1"
    right = act(jordan, job.id, "pickup", job.number or "", seen, code=occupant.encounter_number,
                birth_date=occupant.birth_date.isoformat())
    assert right.status_code == 200
    task = unit.gw.client.read("Task", job.id)
    assert task["status"] == "in-progress"
    assert task["output"][-1]["valueString"] == "armband barcode: encounter number; date of birth asked"


def test_delivering_the_last_leg_completes_the_request(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="picked-up", owner=unit.owner())
    [job] = jobs.jobs
    response = act(unit.client(Role.TRANSPORTER), job.id, "deliver", job.number or "", seen_of(jobs, job.id))
    assert response.status_code == 200
    task = unit.gw.client.read("Task", job.id)
    assert task["status"] == "completed" and task["executionPeriod"]["end"]
    assert task["businessStatus"]["coding"][0]["code"] == "arrived"
    assert unit.gw.client.read("ServiceRequest", (job.request or "/").split("/")[1])["status"] == "completed"


def test_a_round_trips_way_back_is_called_then_the_request_completes_with_it(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="back-waiting", owner=unit.owner())
    back = next(j for j in jobs.jobs if j.leg == "return")
    desk = unit.client()
    released = act(desk, back.id, "release", back.number or "", seen_of(jobs, back.id), screen="board")
    assert released.status_code == 200
    task = unit.gw.client.read("Task", back.id)
    assert task["status"] == "requested" and task["restriction"]["period"]["end"]
    request_id = (back.request or "/").split("/")[1]
    assert unit.gw.client.read("ServiceRequest", request_id)["status"] == "active"
    jordan = unit.client(Role.TRANSPORTER)
    for action in ("accept", "pickup", "deliver"):
        fresh = unit.jobs(back.number or "")
        extra = {"code": f"MRN:{unit.occupants()[0].mrn}|ENC:{unit.occupants()[0].encounter_number}"} \
            if action == "pickup" else {}
        response = act(jordan, back.id, action, back.number or "", seen_of(fresh, back.id), **extra)
        assert response.status_code == 200, (action, page_text(response.get_data(as_text=True))[:300])
    assert unit.gw.client.read("ServiceRequest", request_id)["status"] == "completed"


def test_a_delay_is_recorded_with_its_reason(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="accepted", owner=unit.owner())
    [job] = jobs.jobs
    jordan = unit.client(Role.TRANSPORTER)
    missing = act(jordan, job.id, "delay", job.number or "", seen_of(jobs, job.id))
    assert missing.status_code == 422 and "Choose or type the reason." in page_text(missing.get_data(as_text=True))
    response = act(jordan, job.id, "delay", job.number or "", seen_of(jobs, job.id), reason="other",
                   reason_other="Lift 3 out of service")
    assert response.status_code == 200
    task = unit.gw.client.read("Task", job.id)
    assert task["status"] == "accepted" and task["businessStatus"]["coding"][0]["code"] == "delayed"
    assert task["note"][-1]["text"] == "Delayed: Lift 3 out of service"
    board = unit.client().get("/transport/").get_data(as_text=True)
    row = board[board.index(f'data-job-id="{job.id}"'):]
    assert "Delayed" in row[:3000] and "Lift 3 out of service" in row[:3000]


def test_cancelling_before_pickup_cancels_the_way_back_and_revokes_the_request(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="requested", round_trip=True)
    out = next(j for j in jobs.jobs if j.leg == "outbound")
    response = act(unit.client(), out.id, "cancel", out.number or "", seen_of(jobs, out.id), screen="board",
                   reason="Patient refused")
    assert response.status_code == 200, page_text(response.get_data(as_text=True))[:300]
    after = unit.jobs(out.number or "")
    assert {j.leg: j.status for j in after.jobs} == {"outbound": "cancelled", "return": "cancelled"}
    assert all(j.status_reason == "Patient refused" for j in after.jobs)
    assert unit.gw.client.read("ServiceRequest", (out.request or "/").split("/")[1])["status"] == "revoked"


def test_a_transporter_acts_only_on_their_own_jobs(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="accepted", owner=unit.owner("100095", "Riley Moss"))
    [job] = jobs.jobs
    response = act(unit.client(Role.TRANSPORTER), job.id, "delay", job.number or "", seen_of(jobs, job.id),
                   reason="Elevator delay")
    assert response.status_code == 409
    assert "Riley Moss has this job; only they can do this." in page_text(response.get_data(as_text=True))
    assert unit.gw.client.read("Task", job.id)["meta"]["versionId"] == "1"


def test_on_epic_the_jobs_work_but_new_requests_cannot_be_asked_for(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    jobs = unit.seed(occupant, state="picked-up", owner=unit.owner())
    [job] = jobs.jobs
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    page = page_text(unit.client().get(f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}")
                     .get_data(as_text=True))
    assert "Not possible on this FHIR server" in page and "Epic May 2026 does not allow creating Task." in page
    board = page_text(unit.client().get("/transport/").get_data(as_text=True))
    assert "Asking for transport is not possible on this FHIR server" in board and occupant.name in board
    # Task update is allowed: the transporter delivers; without transactions the request stays active.
    response = act(unit.client(Role.TRANSPORTER), job.id, "deliver", job.number or "", seen_of(jobs, job.id))
    assert response.status_code == 200, page_text(response.get_data(as_text=True))[:300]
    assert unit.gw.client.read("Task", job.id)["status"] == "completed"
    assert unit.gw.client.read("ServiceRequest", (job.request or "/").split("/")[1])["status"] == "active"


def test_on_oracle_health_the_transport_screens_say_they_are_not_available(transport_unit: Factory) -> None:
    unit = transport_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("oracle"))
    for path, role in (("/transport/", Role.UNIT_SECRETARY), ("/transport/jobs", Role.TRANSPORTER)):
        response = unit.client(role).get(path)
        text = page_text(response.get_data(as_text=True))
        assert response.status_code == 200
        assert "Transport jobs are Tasks on the FHIR server, and Oracle Health" in text
        assert "does not offer Task resources" in text
        assert response.headers["X-FHIR-Requests"] == "0"
