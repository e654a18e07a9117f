"""The audit trail page, CSV export, and AuditEvents that reach sekmet-fhir."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from kiosk import audit
from kiosk.audit.fhir import send_pending
from kiosk.auth import Role
from kiosk.extensions import database, gateway, services, settings
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from tests.support.auth import page_token

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "capability"


def a_demo_patient(gw: FhirGateway) -> tuple[str, str, str]:
    census = unit_census(gw)
    patient = next(iter(census.patients.values()))
    assert patient.mrn
    return patient.reference, patient.mrn, patient.name.last_first


def test_search_by_patient_mrn_and_export(app: Flask, signed_in_client: Callable[[Role], FlaskClient]) -> None:
    nurse = signed_in_client(Role.CHARGE_NURSE)
    with app.app_context():
        reference, mrn, name = a_demo_patient(gateway())
        with app.test_request_context():
            audit.record("view-patient", patient=reference, detail="bed board panel")
            audit.record("view-patient", patient="Patient/someone-else")
    token = page_token(nurse, "/audit/")
    found = nurse.post("/audit/search", data={"mrn": mrn, "csrf_token": token}, headers={"HX-Request": "true"})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "Patient/someone-else" not in page
    assert html.unescape(page).count(name) == 1 and f"MRN {mrn}" in page and "Opened patient" in page
    assert mrn not in found.request.url  # searched by POST: the MRN is not in a URL
    exported = nurse.post("/audit/export", data={"mrn": mrn, "csrf_token": token})
    assert exported.mimetype == "text/csv"
    rows = exported.get_data(as_text=True).strip().splitlines()
    assert len(rows) == 2 and reference in rows[1] and mrn not in rows[1]
    unknown = nurse.post("/audit/search", data={"mrn": "no-such-mrn", "csrf_token": token},
                         headers={"HX-Request": "true"})
    assert "No patient on the FHIR server has that MRN." in unknown.get_data(as_text=True)


def test_search_characters_in_the_mrn_never_list_other_patients(
        app: Flask, signed_in_client: Callable[[Role], FlaskClient]) -> None:
    nurse = signed_in_client(Role.CHARGE_NURSE)
    with app.app_context():
        census = unit_census(gateway())
        first, second = list(census.patients.values())[:2]
        with app.test_request_context():
            for p in (first, second):
                audit.record("view-patient", patient=p.reference, detail="bed board panel")
    token = page_token(nurse, "/audit/")
    for typed in (f"{first.mrn},{second.mrn}", ",", f"{first.mrn}|x", f"{first.mrn}$", "\\", f"{first.mrn}\\,"):
        for path in ("/audit/search", "/audit/export"):
            answer = nurse.post(path, data={"mrn": typed, "csrf_token": token}, headers={"HX-Request": "true"})
            page = html.unescape(answer.get_data(as_text=True))
            assert answer.status_code == 400, (typed, path)
            assert first.reference not in page and second.reference not in page, typed
            assert first.name.last_first not in page and second.name.last_first not in page, typed
        assert "An MRN is 3 to 40 letters, digits, dots or dashes." in html.unescape(
            nurse.post("/audit/search", data={"mrn": typed, "csrf_token": token},
                       headers={"HX-Request": "true"}).get_data(as_text=True))
    armband = f"MRN:{first.mrn}|ENC:E-1"  # the armband's Data Matrix, scanned into the field
    found = nurse.post("/audit/search", data={"mrn": armband, "csrf_token": token}, headers={"HX-Request": "true"})
    page = html.unescape(found.get_data(as_text=True))
    assert found.status_code == 200 and first.name.last_first in page and second.name.last_first not in page


def test_audit_events_reach_the_fhir_server_once(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        gw = gateway()
        before = gw.client.search("AuditEvent", [("_count", "0")]).total or 0
        with app.test_request_context():
            audit.record("view-patient", patient="Patient/abc", detail="bed board panel")
        report = send_pending(database().session, gw, settings().station.name)
        assert report.sent >= 2 and report.failed == 0  # the sign-in and the view
        again = send_pending(database().session, gw, settings().station.name)
        assert again.sent == 0
        events = gw.client.search("AuditEvent", [("_count", "100"), ("_sort", "-_lastUpdated")]).matches
        after = gw.client.search("AuditEvent", [("_count", "0")]).total or 0
    assert after - before == report.sent
    kinds = {(e["type"]["code"], e.get("subtype", [{}])[0].get("code")) for e in events[: report.sent]}
    assert ("110110", None) in kinds and ("110114", "110122") in kinds


def test_servers_that_refuse_audit_events_keep_them_locally(app: Flask, client: FlaskClient) -> None:
    epic = Capabilities.from_statement(json.loads((FIXTURES / "epic-r4-2026-05.json").read_text()))
    with app.app_context():
        gw = services().gateway()
        gw.capabilities_cache._value = epic
        report = send_pending(database().session, gw, settings().station.name)
    assert report.sent == 0 and report.unsupported >= 1
    assert report.reason == "Epic May 2026 does not offer AuditEvent resources."


def test_the_page_shows_a_write_with_its_outcome_and_one_without_as_unknown(
        app: Flask, signed_in_client: Callable[[Role], FlaskClient]) -> None:
    nurse = signed_in_client(Role.CHARGE_NURSE)
    with app.test_request_context():
        done = audit.intent("fhir-write", entity="Location/bed-1", detail="transfer")
        audit.outcome(done, "success", detail="wrote Encounter/e1", entity="Encounter/e1")
        audit.intent("fhir-write", entity="Location/bed-2", detail="discharge")  # the kiosk died here
    page = nurse.get("/audit/").get_data(as_text=True)
    assert page.count("<td>Changed a record") == 2
    assert "transfer; wrote Encounter/e1" in page and "Encounter/e1" in page
    assert page.count("outcome unknown: check the record") == 1 and "discharge" in page
    token = page_token(nurse, "/audit/")
    rows = nurse.post("/audit/export", data={"csrf_token": token}).get_data(as_text=True).strip().splitlines()
    writes = [r for r in rows if ",fhir-write," in r]
    assert len(writes) == 2 and ",success," in writes[1] and "outcome unknown: check the record" in writes[0]


def test_a_broken_chain_found_by_the_daily_check_is_shown_to_administrators(
        app: Flask, signed_in_client: Callable[[Role], FlaskClient]) -> None:
    from kiosk.scheduler.config import load_scheduler_config
    from kiosk.scheduler.process import SchedulerProcess
    from kiosk.scheduler.registry import JOBS, job_function

    admin, nurse = signed_in_client(Role.ADMINISTRATOR), signed_in_client(Role.CHARGE_NURSE)
    with app.app_context():
        process = SchedulerProcess(settings(), load_scheduler_config(Path("config/scheduler.toml")))
    process.functions = {job.name: job_function(job) for job in JOBS}
    try:
        passed = process.run_job("audit-verify", "schedule")
        assert passed is not None and passed.ok and "audit trail intact" in passed.summary
        assert "tampered" not in admin.get("/audit/").get_data(as_text=True)
        with process.database.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_record_no_update")
            conn.exec_driver_sql("UPDATE audit_record SET actor_name = 'Someone Else' WHERE id = 1")
        failed = process.run_job("audit-verify", "schedule")
    finally:
        process.gateway.close()
        process.database.dispose()
    assert failed is not None and not failed.ok and "row #1 (position 1) does not match its hash" in failed.summary
    for page in ("/audit/", "/staff/"):
        shown = admin.get(page).get_data(as_text=True)
        assert "The audit trail has been tampered with" in shown and "row #1 (position 1)" in shown
    assert "tampered" not in nurse.get("/audit/").get_data(as_text=True)  # administrators only
