"""The audit trail is append-only and its AuditEvents are valid R4."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from kiosk.audit.fhir import audit_event
from kiosk.audit.services import Actor, AuditQuery, append, export_csv, search
from kiosk.fhir.validation import check_for_write
from tests.support.db import migrated_database

DANA = Actor(badge="100001", name="Dana Reyes", role="unit_secretary")


def test_rows_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        append(s, station="4W-NS-1", actor=DANA, action="view-patient", patient="Patient/1")
    for statement in ("UPDATE audit_record SET action = 'x'", "DELETE FROM audit_record"):
        with pytest.raises(DatabaseError, match="append-only"), db.session() as s:
            s.execute(text(statement))
    with db.session() as s:
        assert len(search(s, AuditQuery())) == 1


def test_search_and_csv(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        append(s, station="4W-NS-1", actor=DANA, action="view-patient", patient="Patient/1",
               at=datetime(2026, 11, 25, 9, tzinfo=UTC))
        append(s, station="4W-NS-1", actor=DANA, action="print", patient="Patient/2", entity="PrintJob/7",
               detail="armband x2", at=datetime(2026, 11, 26, 9, tzinfo=UTC))
        append(s, station="4W-NS-1", actor=Actor("100002", "Sam Okoye", "charge_nurse"), action="sign-in",
               at=datetime(2026, 11, 26, 10, tzinfo=UTC))
    with db.session() as s:
        assert [r.action for r in search(s, AuditQuery(day_from=date(2026, 11, 26)))] == ["sign-in", "print"]
        assert [r.action for r in search(s, AuditQuery(user="dana"))] == ["print", "view-patient"]
        assert [r.action for r in search(s, AuditQuery(user="100002"))] == ["sign-in"]
        assert [r.entity for r in search(s, AuditQuery(patient="Patient/2"))] == ["PrintJob/7"]
        csv_text = "".join(export_csv(s, AuditQuery()))
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,at,station,actor_badge") and len(lines) == 4
    assert "PrintJob/7" in lines[2]


@pytest.mark.parametrize("action", ["sign-in", "view-patient", "print", "fhir-write", "refused", "supply-check"])
def test_audit_events_are_valid_r4(tmp_path: Path, action: str) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        append(s, station="4W-NS-1", actor=DANA, action=action, patient="Patient/1", entity="PrintJob/3",
               detail="armband x1")
        row = search(s, AuditQuery())[0]
    event = audit_event(row, "4 West nurses' station", "https://kiosk.example.org/fhir/sid/staff-badge")
    check_for_write(event)
    assert event["entity"][0]["what"] == {"reference": "Patient/1"}
    assert event["entity"][1]["what"] == {"display": "PrintJob/3"}
    assert event["agent"][0]["who"]["identifier"]["value"] == "100001"


class RefusingClient:
    """A FHIR client that refuses the batch and one event in it (the logic under test is the kiosk's)."""

    def __init__(self) -> None:
        self.created: list[dict] = []

    def transaction(self, tx):  # type: ignore[no-untyped-def]
        from kiosk.fhir.errors import FhirError

        raise FhirError("refused", status=422)

    def create(self, event):  # type: ignore[no-untyped-def]
        from kiosk.fhir.client import WriteResult
        from kiosk.fhir.errors import FhirError

        if event["outcomeDesc"].startswith("print"):
            raise FhirError("this server does not take print events", status=422)
        self.created.append(event)
        return WriteResult({"resourceType": "AuditEvent", "id": f"ae{len(self.created)}"}, True)


def test_one_refused_event_does_not_hold_back_the_others(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kiosk.audit.fhir import send_pending
    from kiosk.config import IdentifierSettings
    from kiosk.fhir.capability import Capabilities

    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        for action in ("sign-in", "print", "view-patient"):
            append(s, station="4W-NS-1", actor=DANA, action=action, patient="Patient/1")
    caps = Capabilities.from_statement({"rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
                                                 "resource": [{"type": "AuditEvent",
                                                               "interaction": [{"code": "create"}]}]}]})
    gw = SimpleNamespace(capabilities=caps, client=RefusingClient(),
                         identifiers=IdentifierSettings(code_systems="https://k.example/fhir/CodeSystem"))
    report = send_pending(db.session, gw, "4 West")  # type: ignore[arg-type]
    assert (report.sent, report.failed) == (2, 1)
    with db.engine.connect() as conn:
        states = dict(conn.exec_driver_sql(
            "SELECT r.action, d.state FROM audit_delivery d JOIN audit_record r ON r.id = d.record_id").all())
    assert states == {"sign-in": "sent", "print": "rejected", "view-patient": "sent"}
    assert send_pending(db.session, gw, "4 West").sent == 0  # nothing is stuck pending
