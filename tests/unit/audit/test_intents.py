"""Intents before writes, outcomes after: one line each, open intents flagged, nothing rewritten."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.audit.models import AuditDelivery, AuditRecord
from kiosk.audit.services import (
    OPEN,
    OPEN_WORDS,
    Actor,
    AuditQuery,
    IntentNotFound,
    append,
    append_intent,
    append_outcome,
    export_csv,
    search,
)
from kiosk.labels.queue import PrintQueue
from tests.support.db import migrated_database

DANA = Actor(badge="100001", name="Dana Reyes", role="unit_secretary")
STATION = "4W-NS-1"


def test_an_intent_and_its_outcome_are_one_line_and_two_rows(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        intent = append_intent(s, station=STATION, actor=DANA, action="fhir-write", entity="Location/b1",
                               detail="transfer", at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    with db.session() as s:
        append_outcome(s, intent.id, "success", detail="wrote Encounter/e1", patient="Patient/p1",
                       entity="Encounter/e1", at=datetime(2026, 12, 1, 9, 0, 2, tzinfo=UTC))
    with db.session() as s:
        rows = list(s.scalars(select(AuditRecord).order_by(AuditRecord.id)))
        [line] = search(s, AuditQuery())
        assert [search(s, AuditQuery(patient="Patient/p1"))[0].id] == [intent.id]  # named by the outcome only
    assert [(r.outcome, r.intent_id) for r in rows] == [("pending", None), ("success", intent.id)]
    assert (line.id, line.outcome, line.patient, line.entity) == (intent.id, "success", "Patient/p1", "Encounter/e1")
    assert line.detail == "transfer; wrote Encounter/e1"
    assert line.at == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert line.outcome_at == datetime(2026, 12, 1, 9, 0, 2, tzinfo=UTC)


def test_an_intent_without_outcome_says_so_on_the_page_and_in_the_csv(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        append(s, station=STATION, actor=DANA, action="sign-in")
        append_intent(s, station=STATION, actor=DANA, action="print", patient="Patient/p1", entity="PrintJob/3")
    with db.session() as s:
        lines = search(s, AuditQuery())
        csv_text = "".join(export_csv(s, AuditQuery()))
    assert [(r.action, r.outcome) for r in lines] == [("print", OPEN), ("sign-in", "success")]
    assert lines[0].outcome_words == OPEN_WORDS == "outcome unknown: check the record"
    assert OPEN_WORDS in csv_text.splitlines()[1] and len(csv_text.strip().splitlines()) == 3


def test_only_outcomes_and_plain_rows_are_sent_as_audit_events(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        intent = append_intent(s, station=STATION, actor=DANA, action="fhir-write", entity="Location/b1")
        closing = append_outcome(s, intent.id, "unknown", detail="no answer from the FHIR server")
        plain = append(s, station=STATION, actor=DANA, action="sign-in")
    with db.session() as s:
        assert set(s.scalars(select(AuditDelivery.record_id))) == {closing.id, plain.id}


def test_an_intent_is_closed_once_and_only_an_intent_can_be_closed(tmp_path: Path) -> None:
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        intent = append_intent(s, station=STATION, actor=DANA, action="fhir-write")
        plain = append(s, station=STATION, actor=DANA, action="sign-in")
        append_outcome(s, intent.id, "failure", detail="refused, nothing written")
    with pytest.raises(IntentNotFound), db.session() as s:
        append_outcome(s, intent.id, "success")
    with pytest.raises(IntentNotFound), db.session() as s:
        append_outcome(s, plain.id, "success")
    with pytest.raises(ValueError, match="one of"), db.session() as s:
        append_outcome(s, intent.id, "pending")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 3


def test_csv_export_joins_outcomes_across_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.audit.services as services

    monkeypatch.setattr(services, "CSV_BATCH", 3)
    db = migrated_database(tmp_path / "a.db")
    with db.session() as s:
        for n in range(7):
            intent = append_intent(s, station=STATION, actor=DANA, action="print", entity=f"PrintJob/{n}")
            if n % 2 == 0:
                append_outcome(s, intent.id, "success", detail="printed")
    with db.session() as s:
        lines = "".join(export_csv(s, AuditQuery())).strip().splitlines()[1:]
    assert len(lines) == 7
    assert sum("printed" in line for line in lines) == 4 and sum(OPEN_WORDS in line for line in lines) == 3


def test_a_print_job_is_stored_only_with_its_audit_intent(tmp_path: Path) -> None:
    from kiosk.labels.models import PrintJob
    from tests.unit.labels.test_queue import LABEL, config, request

    db = migrated_database(tmp_path / "a.db")
    queue = PrintQueue(db, config(tmp_path / "out"))
    intents: list[int] = []

    def audited(session: Session, job_id: int) -> None:
        intents.append(append_intent(session, station=STATION, actor=DANA, action="print",
                                     entity=f"PrintJob/{job_id}").id)

    def dies(session: Session, job_id: int) -> None:
        audited(session, job_id)
        raise OSError("the kiosk died before the transaction committed")

    job_id = queue.submit(request("FOLDER"), LABEL, audited)
    with pytest.raises(OSError):
        queue.submit(request("FOLDER"), LABEL, dies)
    with db.session() as s:
        assert list(s.scalars(select(PrintJob.id))) == [job_id]
        [line] = search(s, AuditQuery())
    assert (line.id, line.entity, line.outcome) == (intents[0], f"PrintJob/{job_id}", OPEN)
