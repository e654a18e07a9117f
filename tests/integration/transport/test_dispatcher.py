"""The transport dispatcher is paged once per escalation: by the real `kiosk scheduler` process, through
paging's outbox to a real SMTP server, with the room and initials, the job number and the minutes past
the target; never again on later runs or after the scheduler restarts; not at all for a job accepted
before it was late; and the board says so when no dispatcher is set up."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.extensions import database, settings
from kiosk.paging.models import Page, PageStatus
from kiosk.paging.oncall import ON_CALL_FILE
from kiosk.transport.escalation import escalate, page_dispatcher, raised_jobs
from kiosk.transport.models import TransportEscalation
from tests.support.beds import app_gateway, page_text
from tests.support.paging import SmtpSink, load_roles, paging_env
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule
from tests.support.transport import ESCALATION_SCHEDULE as SCHEDULE
from tests.support.transport import Occupant, TransportUnit, act, seen_of

DISPATCHER = "transport-dispatcher"


@pytest.fixture
def dispatch_unit(transport_unit: Callable[..., TransportUnit], gateway: object, demo_settings: Settings,
                  smtp: SmtpSink, tmp_path: Path) -> tuple[TransportUnit, dict[str, str], Database]:
    """A unit whose kiosk and scheduler share one database and page through the SMTP server; the demo's
    dispatchers (DISP-1, DISP-2) are PractitionerRoles on the FHIR server."""
    load_roles(gateway, demo_settings)  # type: ignore[arg-type]
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = paging_env(smtp.port, KIOSK_DATABASE_URL=url, KIOSK_WEB_SECRET_KEY="test-secret-key-not-for-production")
    unit = transport_unit(**env)
    env |= {"KIOSK_FHIR_BASE_URL": demo_settings.fhir.base_url,
            "KIOSK_UNIT_LOCATION": f"{unit.ref.system}|{unit.ref.value}"}
    return unit, env, Database(url)


def initials(unit: TransportUnit, occupant: Occupant) -> str:
    return unit.census().patients[f"Patient/{occupant.patient_id}"].name.initials


def test_the_scheduler_pages_the_dispatcher_once_per_overdue_job_across_runs_and_a_restart(
        dispatch_unit: tuple[TransportUnit, dict[str, str], Database], smtp: SmtpSink, tmp_path: Path) -> None:
    unit, env, db = dispatch_unit
    late_one, accepted_in_time = unit.occupants()[:2]
    [late] = unit.seed(late_one, state="requested", priority="stat", target_minutes=10, asked_ago=25).jobs
    [taken] = unit.seed(accepted_in_time, state="requested", priority="urgent", target_minutes=20, asked_ago=30).jobs
    jordan = unit.client(Role.TRANSPORTER)
    assert act(jordan, taken.id, "accept", taken.number or "",
               seen_of(unit.jobs(taken.number or ""), taken.id)).status_code == 200

    runs: list[SchedulerRun] = []
    try:
        first = start_scheduler(scheduler_env(env, write_schedule(tmp_path / "s1", text=SCHEDULE)), tmp_path / "s1")
        runs.append(first)
        log = first.wait_for("Dispatcher: 1 paged", timeout=60)
        [mail] = smtp.wait_for(1, timeout=30)
        # A second run of the same process: the job is still raised, nobody is paged again.
        first.wait_for("Ran transport-escalation (schedule)", after=len(log), timeout=30)
        assert first.stop(signal.SIGTERM) == 0
        # The scheduler restarts on the same database: still one page.
        second = start_scheduler(scheduler_env(env, write_schedule(tmp_path / "s2", text=SCHEDULE)), tmp_path / "s2",
                                 name="again")
        runs.append(second)
        log = second.wait_for("Escalated 0 jobs waiting past the target; 1 still raised", timeout=60)
        second.wait_for("Ran transport-escalation (schedule)", after=len(log), timeout=30)
        assert second.stop(signal.SIGTERM) == 0
    finally:
        for run in runs:
            if run.process.poll() is None:
                run.stop(signal.SIGKILL)
    assert len(smtp.mails) == 1
    assert "Traceback" not in "".join(r.log() for r in runs)

    # To the dispatcher on call (DISP-1's pager through the carrier's e-mail gateway), stat like the job,
    # with the room, the initials, the job number and the minutes past the target; no name, no MRN.
    assert mail.recipients == ["5550501@pager.riverside.example"]
    body = mail.body
    assert body.startswith("STAT ") and "Transport delayed." in body
    # The origin as the job names it: the bed and its unit (the dispatcher serves the whole hospital).
    assert f"Bed {late_one.bed.label} {initials(unit, late_one)}:" in body
    assert f"Job {late.number} not accepted, 15 min past its target." in body
    family = late_one.name.split(",")[0]
    assert family not in body and (late_one.mrn or "?") not in body

    with db.session() as session:
        pages = list(session.scalars(select(Page)))
        [row] = list(session.scalars(select(TransportEscalation)))
    assert [(p.source, p.on_call_role, p.urgency, p.patient_ref) for p in pages] == \
        [("transport", "transport-dispatcher", "stat", f"Patient/{late_one.patient_id}")]
    assert row.task_id == late.id and row.page_id == pages[0].id and row.dispatched_at is not None
    board = page_text(unit.client().get("/transport/").get_data(as_text=True))
    assert "Dispatcher paged: Dana Reyes (pager): sent" in board

    # The job is accepted: the escalation clears and the dispatcher's unanswered page is closed.
    assert act(jordan, late.id, "accept", late.number or "", seen_of(unit.jobs(late.number or ""), late.id)
               ).status_code == 200
    with unit.app.app_context():
        now = datetime.now(UTC)
        run = escalate(app_gateway(unit.app), database(), now)
        dispatch = page_dispatcher(settings(), app_gateway(unit.app), database(), run,
                                   "transport-dispatcher", now)
    assert run.cleared == 1 and dispatch.closed == 1
    with db.session() as session:
        assert session.get(Page, pages[0].id).page_status is PageStatus.CANCELLED  # type: ignore[union-attr]
    assert len(smtp.mails) == 1
    db.dispose()


def test_a_page_written_but_not_noted_is_found_again_not_sent_twice(
        dispatch_unit: tuple[TransportUnit, dict[str, str], Database], smtp: SmtpSink) -> None:
    unit, _env, db = dispatch_unit
    [late] = unit.seed(unit.occupants()[0], state="requested", priority="routine", target_minutes=45,
                       asked_ago=60).jobs
    with unit.app.app_context():
        kiosk_settings, gw = settings(), app_gateway(unit.app)
        now = datetime.now(UTC)
        first = page_dispatcher(kiosk_settings, gw, database(), escalate(gw, database(), now), DISPATCHER, now)
        assert first.paged == 1
        smtp.wait_for(1)
        # The scheduler stopped after the page was written and sent, before the row noted it.
        with database().session() as session:
            row = session.scalar(select(TransportEscalation).where(TransportEscalation.task_id == late.id))
            assert row is not None
            page_id, row.page_id, row.dispatched_at, row.dispatch = row.page_id, None, None, None
        again = page_dispatcher(kiosk_settings, gw, database(), escalate(gw, database(), now), DISPATCHER, now)
        assert again.paged == 1
        with database().session() as session:
            assert session.scalar(select(TransportEscalation.page_id)
                                  .where(TransportEscalation.task_id == late.id)) == page_id
            assert len(list(session.scalars(select(Page)))) == 1
    assert len(smtp.mails) == 1 and smtp.mails[0].body.startswith("Routine ")
    db.dispose()


def test_without_a_dispatcher_the_escalation_shows_and_the_board_says_nobody_was_paged(
        transport_unit: Callable[..., TransportUnit], smtp: SmtpSink, tmp_path: Path) -> None:
    unit = transport_unit(**paging_env(smtp.port, KIOSK_TRANSPORT_DISPATCHER_ROLE=""))
    [late] = unit.seed(unit.occupants()[0], state="requested", priority="stat", target_minutes=10, asked_ago=25).jobs
    with unit.app.app_context():
        kiosk_settings, gw = settings(), app_gateway(unit.app)
        now = datetime.now(UTC)
        dispatch = page_dispatcher(kiosk_settings, gw, database(), escalate(gw, database(), now), "", now)
        assert (dispatch.paged, dispatch.not_paged) == (0, 1)
        [raised] = raised_jobs(database())
    assert raised.task_id == late.id
    assert raised.dispatch == "No dispatcher to page: no dispatcher_role in config/transport.toml."
    client = unit.client()
    board = client.get("/transport/").get_data(as_text=True)
    start = board.index(f'data-job-id="{late.id}"')
    assert "No dispatcher to page" in page_text(board[start:start + 3000])
    home = page_text(client.get("/").get_data(as_text=True))
    assert "1 transport job waits past the target" in home and "no dispatcher to page" in home
    assert smtp.mails == []


def test_a_dispatcher_role_nobody_can_be_reached_in_is_said_not_dropped(
        transport_unit: Callable[..., TransportUnit], demo_settings: Settings) -> None:
    """No SMTP server configured: the on-call dispatchers have pagers the kiosk cannot reach."""
    unit = transport_unit(KIOSK_PAGING_SMTP_HOST="")
    assert ON_CALL_FILE.read(demo_settings).role("transport-dispatcher") is not None
    unit.seed(unit.occupants()[0], state="requested", priority="urgent", target_minutes=20, asked_ago=40)
    with unit.app.app_context():
        kiosk_settings, gw = settings(), app_gateway(unit.app)
        now = datetime.now(UTC)
        dispatch = page_dispatcher(kiosk_settings, gw, database(), escalate(gw, database(), now), DISPATCHER, now)
        [raised] = raised_jobs(database())
    assert dispatch.not_paged == 1
    assert raised.dispatch is not None and raised.dispatch.startswith(
        "No dispatcher to page: nobody on call as Transport dispatcher can be paged from here")
