"""Escalation by the real scheduler process: an unanswered page is paged again, then its backup is paged
(the on-call role's next person, or the charge nurse), on the urgency's timetable; the pages screen says
when no scheduler is running."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from kiosk import secret_key
from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway
from kiosk.paging.compose import About, Draft
from kiosk.paging.fhir import roles_by_identifier
from kiosk.paging.links import new_public_id
from kiosk.paging.models import Page, PageMessage, utcnow
from kiosk.paging.oncall import ON_CALL_FILE
from kiosk.paging.recipients import best_route
from kiosk.paging.services import PageRequest, Paging
from kiosk.paging.settings import PAGING_FILE
from tests.conftest import make_settings
from tests.support.auth import sign_in_client
from tests.support.paging import SmtpSink, paging_env
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule

SCHEDULE = """\
[scheduler]
lease_seconds = 5
poll_seconds = 0.5

[jobs.paging]
interval_seconds = 2
"""


@pytest.fixture
def running() -> Iterator[list[SchedulerRun]]:
    runs: list[SchedulerRun] = []
    yield runs
    for run in runs:
        if run.process.poll() is None:
            run.stop(signal.SIGKILL)


def test_the_scheduler_pages_again_then_pages_the_backup(make_app: Callable[..., Flask], demo_settings: Settings,
                                                         gateway: FhirGateway, role_system: str, smtp: SmtpSink,
                                                         tmp_path: Path, running: list[SchedulerRun]) -> None:
    env = paging_env(smtp.port, KIOSK_WEB_SECRET_KEY="test-secret-key-not-for-production")
    settings = make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db", **env)
    db = Database(settings.database_url)
    db.upgrade()
    config, on_call = PAGING_FILE.read(settings), ON_CALL_FILE.read(settings)
    now = utcnow()
    hospitalists = on_call.role("hospitalist").people_at(now)
    charge_nurse = on_call.role("charge-nurse").people_at(now)[0]
    roles = {r.identifier: r for r in roles_by_identifier(gateway, ["PR-P1001", "PR-P1002", *hospitalists,
                                                                    charge_nurse], role_system)}

    def page(role: str, minutes_ago: float, urgency: str, on_call_role: str | None = None) -> int:
        recipient = roles[role]
        service = Paging(db, config, secret_key(settings), clock=lambda: now - timedelta(minutes=minutes_ago))
        page_id, message_id = service.create(PageRequest(
            new_public_id(), Draft(urgency, "patient-question", "Still hypotensive.", "4321", About("4W-410", "J.M.")),
            recipient, best_route(recipient, config.settings), settings.station.id, on_call_role=on_call_role))
        assert service.send(message_id).sent
        return page_id

    repeat = page("PR-P1001", 4, "stat")  # stat: again after 3 minutes, backup after 6
    next_on_call = page(hospitalists[0], 7, "stat", on_call_role="hospitalist")
    to_charge_nurse = page("PR-P1002", 61, "routine")  # routine: backup after 60 minutes
    waiting = page("PR-P1001", 1, "urgent")  # nothing due yet
    smtp.wait_for(4)

    app = make_app(**env, KIOSK_DATABASE_URL=settings.database.url)
    secretary = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    assert "Escalation is not running" in secretary.get("/paging/").get_data(as_text=True)

    workdir = tmp_path / "sched"
    run = start_scheduler(scheduler_env(env | {"KIOSK_FHIR_BASE_URL": settings.fhir.base_url,
                                               "KIOSK_DATABASE_URL": settings.database.url},
                                        write_schedule(workdir, text=SCHEDULE)), workdir)
    running.append(run)
    mails = smtp.wait_for(7, timeout=40)
    run.wait_for("escalation: 1 paged again, 2 backups paged", timeout=30)
    screen = secretary.get("/paging/").get_data(as_text=True)
    assert "Escalation is not running" not in screen
    assert run.stop() == 0
    assert len(smtp.mails) == 7  # and no more: each step once

    late = {m.recipients[0]: m.body for m in mails[4:]}
    first_address = best_route(roles["PR-P1001"], config.settings).address
    assert late[first_address].startswith("REPEAT: STAT 4 West Bed 4W-410 J.M.: Question about the patient.")
    backup = best_route(roles[hospitalists[1]], config.settings).address
    assert late[backup].startswith("BACKUP, no answer from ")
    nurse = best_route(roles[charge_nurse], config.settings).address
    assert late[nurse].startswith(f"BACKUP, no answer from {roles['PR-P1002'].name}: Routine 4 West")
    with db.session() as session:
        steps = {p.id: p.escalation_step for p in session.query(Page)}
        kinds = {(m.page_id, m.kind) for m in session.query(PageMessage)}
        escalated = [r.detail for r in session.query(AuditRecord).filter_by(action="page-escalated")]
        requests = {p.id: p.fhir_request_ref for p in session.query(Page)}
    assert steps == {repeat: 1, next_on_call: 2, to_charge_nurse: 2, waiting: 0}
    assert {(repeat, "repeat"), (next_on_call, "backup"), (to_charge_nurse, "backup")} <= kinds
    assert sorted(escalated) == sorted([f"page {repeat}: paged again", f"page {next_on_call}: backup paged",
                                        f"page {to_charge_nurse}: backup paged"])
    record = gateway.client.read("CommunicationRequest", requests[to_charge_nurse].split("/")[1])
    assert [r["reference"] for r in record["recipient"]] == [roles["PR-P1002"].ref, roles[charge_nurse].ref]
    screen = secretary.get("/paging/").get_data(as_text=True)
    assert "Backup paged: " in screen and "Paged again: " in screen and "timer-red" in screen
