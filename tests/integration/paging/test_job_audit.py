"""The paging job's writes to the FHIR server are audited as the screens' are: an intent committed before
the record is sent and an outcome after, so a scheduler that dies in between leaves "outcome unknown",
never a write without a row; the audit chain stays intact."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kiosk import secret_key
from kiosk.audit.chain import verify
from kiosk.audit.models import AuditRecord
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.client import FhirClient
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from kiosk.paging.compose import About, Draft
from kiosk.paging.fhir import roles_by_identifier
from kiosk.paging.jobs import run_paging
from kiosk.paging.links import new_public_id
from kiosk.paging.models import Page
from kiosk.paging.recipients import best_route
from kiosk.paging.services import PageRequest, Paging
from kiosk.paging.settings import PAGING_FILE
from kiosk.scheduler.context import JobContext
from tests.conftest import make_settings
from tests.support.fhir_faults import LosesTheWriteAnswer
from tests.support.paging import SmtpSink, paging_env

Rows = list[tuple[str, str, str | None, int | None]]


@pytest.fixture
def kiosk(demo_settings: Settings, smtp: SmtpSink, tmp_path: Path) -> tuple[Settings, Database]:
    env = paging_env(smtp.port, KIOSK_WEB_SECRET_KEY="test-secret-key-not-for-production")
    settings = make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db", **env)
    database = Database(settings.database_url)
    database.upgrade()
    return settings, database


def sent_page(settings: Settings, database: Database, gateway: FhirGateway, role_system: str,
              stay: EncounterRecord) -> int:
    """A page about a patient, its message sent; its FHIR record left to the scheduler."""
    config = PAGING_FILE.read(settings)
    [recipient] = roles_by_identifier(gateway, ["PR-P1001"], role_system)
    service = Paging(database, config, secret_key(settings))
    page_id, message_id = service.create(PageRequest(
        new_public_id(), Draft("routine", "patient-question", "Pain 7/10.", "4321", About("4W-410", "J.M.")),
        recipient, best_route(recipient, config.settings), settings.station.id,
        patient_ref=stay.patient, encounter_ref=stay.reference))
    assert service.send(message_id).sent
    return page_id


def writes(database: Database) -> Rows:
    with database.session() as session:
        return [(r.outcome, r.detail or "", r.entity, r.intent_id) for r in session.scalars(
            select(AuditRecord).where(AuditRecord.action == "fhir-write").order_by(AuditRecord.chain_seq))]


def job(settings: Settings, database: Database, client: FhirClient | None = None) -> JobContext:
    gateway = FhirGateway.from_settings(settings)
    if client is not None:
        gateway.client.close()
        gateway.client = client
    return JobContext(settings=settings, database=database, gateway=gateway, log=logging.getLogger("test.paging"))


def chain_intact(database: Database) -> bool:
    with database.session() as session:
        return verify(session).ok


def test_a_page_record_the_server_never_answers_was_audited_before_it_was_sent(
        kiosk: tuple[Settings, Database], gateway: FhirGateway, role_system: str,
        stays: list[EncounterRecord]) -> None:
    settings, database = kiosk
    page_id = sent_page(settings, database, gateway, role_system, stays[0])
    at_the_write: list[Rows] = []
    look: Callable[[httpx.Request], None] = lambda _request: at_the_write.append(writes(database))  # noqa: E731
    base = settings.fhir.base_url
    ctx = job(settings, database, FhirClient(base, transport=LosesTheWriteAnswer(base, look)))

    run_paging(ctx)
    ctx.gateway.close()

    # When the record reached the server, its intent was committed, naming the page and nothing more.
    assert at_the_write == [[("pending", f"page {page_id} record", f"Page/{page_id}", None)]]
    [intent, (outcome, detail, _, closes)] = writes(database)
    assert intent == at_the_write[0][0]
    assert (outcome, closes) == ("unknown", _intent_id(database))
    assert detail.startswith(f"page {page_id} record: no answer from the FHIR server: may have been saved")
    assert chain_intact(database)
    with database.session() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.fhir_pending and page.fhir_request_ref is None


def test_a_page_record_written_by_the_job_leaves_its_intent_then_its_outcome(
        kiosk: tuple[Settings, Database], gateway: FhirGateway, role_system: str,
        stays: list[EncounterRecord]) -> None:
    settings, database = kiosk
    page_id = sent_page(settings, database, gateway, role_system, stays[1])
    ctx = job(settings, database)

    run_paging(ctx)
    ctx.gateway.close()

    with database.session() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.fhir_request_ref and not page.fhir_pending
        request_ref = page.fhir_request_ref
    [(intent, intent_detail, entity, none), (outcome, detail, _, closes)] = writes(database)
    assert (intent, intent_detail, entity, none) == ("pending", f"page {page_id} record", f"Page/{page_id}", None)
    assert (outcome, closes) == ("success", _intent_id(database))
    assert detail.startswith(f"page {page_id} record: wrote ") and request_ref in detail
    assert chain_intact(database)


def _intent_id(database: Database) -> int:
    with database.session() as session:
        return session.scalars(select(AuditRecord.id).where(AuditRecord.action == "fhir-write",
                                                            AuditRecord.outcome == "pending")).one()
