"""An emergency call escalates like a stat page by itself: nobody answered or paged it by the stat page's
first escalation step, so the real scheduler job pages the nurse assigned to the bed on the whiteboard
(STAT, through paging's outbox to a real webhook receiver) or, for a bed with no nurse, the charge nurse
on call (to a real SMTP server); once per call across runs and a lost note; never for a call answered in
time or for a call that is not an emergency; and the call's row says what came of it, or why nobody was
paged. Time is a test clock moved on by the test; the FHIR server is the real one."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.beds.board import BedTile
from kiosk.beds.occupancy import BedState
from kiosk.calls.models import CallLight, Reason
from kiosk.calls.services import NewCall, answer, raise_call
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.extensions import database, services
from kiosk.fhir.change import Done
from kiosk.fhir.gateway import FhirGateway
from kiosk.paging.models import Page, PageStatus
from kiosk.scheduler.context import JobContext
from kiosk.scheduler.registry import find, job_function
from tests.support.auth import csrf_token, sign_in_client
from tests.support.beds import BedUnit, page_text
from tests.support.clock import TestClock
from tests.support.paging import SmtpSink, WebhookReceiver, load_roles, paging_env
from tests.support.whiteboard import Ward, split_among

#: The demo's charge nurses on call (config/on-call.toml), day and night, paged through their carriers.
CHARGE_PAGERS = {"5550401@pager.riverside.example", "5550402@pager.riverside.example"}


def run_job(app: Flask, clock: TestClock) -> str:
    """The registered job function, as the scheduler process runs it, on the app's database and server."""
    with app.app_context():
        ctx = JobContext(settings=services().settings, database=database(), gateway=services().gateway(),
                         log=logging.getLogger("test.scheduler"), clock=clock)
        return job_function(find("call-emergencies"))(ctx)  # type: ignore[arg-type]


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def calls(db: Database) -> dict[str, CallLight]:
    with db.session() as session:
        return {c.external_id: c for c in session.scalars(select(CallLight))}


def pages(db: Database) -> list[Page]:
    with db.session() as session:
        return list(session.scalars(select(Page).order_by(Page.id)))


def assigned_ward(ward: Callable[..., Ward], gateway: FhirGateway, demo_settings: Settings, **env: str
                  ) -> tuple[Ward, BedTile, list[BedTile], BedTile]:
    """A ward whose occupied beds all have a nurse this shift, the first one Priscilla Owusu's (reached
    by the secure-messaging webhook); the other occupied beds; and a bed nobody is in (so nobody is
    assigned to it)."""
    load_roles(gateway, demo_settings)  # the demo's charge nurses on call
    unit = ward(12, **env)
    tiles = BedUnit(ref=unit.ref, gw=unit.gw).board().tiles.values()
    occupied = [t for t in tiles if t.state is BedState.OCCUPIED and t.patient]
    empty = next(t for t in tiles if t.patient is None and t.state is BedState.AVAILABLE)
    nurse = unit.nurses[1]

    def choose(screen):  # type: ignore[no-untyped-def]
        chosen, charge = split_among(screen, unit.nurses, unit.aides, unit.nurses[0])
        for bed in screen.beds:
            chosen[bed.id]["nurse"] = (nurse if bed.id == occupied[0].id else unit.nurses[0]).ref
        return chosen, charge

    outcome, _ = unit.assign(choose)
    assert isinstance(outcome, Done), outcome.message
    [role] = unit.gw.client.search("PractitionerRole", [("practitioner", nurse.ref)]).matches
    unit.gw.client.update({**role, "telecom": [{"system": "other", "value": "securechat:priscilla.owusu",
                                                "use": "work", "rank": 1}]}, version=role["meta"]["versionId"])
    return unit, occupied[0], occupied[1:], empty


def test_an_unanswered_emergency_pages_the_beds_nurse_once_and_the_row_says_so(
        ward: Callable[..., Ward], gateway: FhirGateway, demo_settings: Settings, smtp: SmtpSink,
        webhook: WebhookReceiver) -> None:
    unit, nurses_bed, others, empty = assigned_ward(ward, gateway, demo_settings,
                                                    **paging_env(smtp.port, webhook.url))
    db = unit.database
    clock = TestClock()
    raised = naive(clock())
    station = "4W-NS-1"
    for key, bed, reason in (("emergency", nurses_bed, Reason.EMERGENCY), ("answered", others[0], Reason.EMERGENCY),
                             ("pain", others[1], Reason.PAIN), ("empty-bed", empty, Reason.EMERGENCY)):
        raise_call(db, NewCall("nurse-call", key, station, bed.ref, bed.name, reason, raised))

    # Before the stat page's first step (3 minutes in config/paging.toml) nobody is paged, and the row says
    # when the scheduler will page; the emergency answered at the bedside meanwhile pages nobody.
    clock.advance(150)
    assert run_job(unit.app, clock).startswith("Emergency calls: 0 paged automatically")
    assert answer(db, calls(db)["answered"].id, "bedside", "Nurse at the bedside", naive(clock()))
    secretary = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    screen = page_text(secretary.get("/calls/").get_data(as_text=True))
    assert "Pages the bed's nurse by itself at" in screen

    clock.advance(30)  # the step: 3 minutes after the calls
    line = run_job(unit.app, clock)
    assert line == "Emergency calls: 2 paged automatically, 0 with no one to page, 0 to try again."
    [post] = webhook.wait_for(1)
    [mail] = smtp.wait_for(1)

    # The bed's nurse, STAT, about the bed and the reason only.
    assert post.signature_ok and post.json["urgency"] == "stat"
    assert post.json["to"]["value"] == "securechat:priscilla.owusu"
    assert post.json["text"].startswith(f"STAT 4 West Bed {nurses_bed.name}: Call light: Emergency. Call 4 West")
    # No nurse in the empty bed: the charge nurse on call, STAT.
    assert set(mail.recipients) <= CHARGE_PAGERS and len(mail.recipients) == 1
    assert mail.body.startswith(f"STAT 4 West Bed {empty.name}: Call light: Emergency.")

    # Later runs, and a scheduler that stopped after the page went but before the call noted it, page nobody
    # again: the page's key is the call's.
    clock.advance(15)
    assert run_job(unit.app, clock).startswith("Emergency calls: 0 paged automatically")
    assert calls(db)["emergency"].auto_page == "Paged automatically: Priscilla Owusu (messaging app): sent"
    with db.session() as session:
        session.execute(update(CallLight).where(CallLight.external_id == "emergency")
                        .values(page_id=None, paged_to=None, paged_at=None, auto_page=None, auto_paged_at=None))
    assert run_job(unit.app, clock).startswith("Emergency calls: 1 paged automatically")
    assert len(webhook.received) == 1 and len(smtp.mails) == 1

    found = calls(db)
    made = pages(db)
    assert [(p.source, p.urgency, p.on_call_role) for p in made] == [("call-light", "stat", None),
                                                                    ("call-light", "stat", "charge-nurse")]
    assert found["emergency"].page_id == made[0].id and found["emergency"].paged_to == unit.nurses[1].ref
    assert found["emergency"].auto_page == "Paged automatically: Priscilla Owusu: sent"  # the page found again
    assert found["empty-bed"].page_id == made[1].id
    assert found["empty-bed"].auto_page is not None and re.fullmatch(
        r"Paged automatically: [^(]+ \(pager\): sent, on call as Charge nurse "
        r"\(no nurse is assigned to the bed on the whiteboard\)", found["empty-bed"].auto_page)
    assert made[0].patient_ref is not None and made[1].patient_ref is None  # the empty bed has nobody in it
    for key in ("answered", "pain"):
        assert (found[key].page_id, found[key].auto_page, found[key].auto_paged_at) == (None, None, None)

    screen = page_text(secretary.get("/calls/").get_data(as_text=True))
    assert "Paged automatically: Priscilla Owusu: sent" in screen
    assert "Paged Priscilla Owusu, 0 min ago: waiting" in screen
    assert "on call as Charge nurse" in screen and "Pages the bed's nurse by itself" not in screen


def test_an_emergency_with_nobody_to_page_says_so_on_its_row(
        ward: Callable[..., Ward], gateway: FhirGateway, demo_settings: Settings, smtp: SmtpSink) -> None:
    """No nurse is assigned to the bed and calls.toml names no role to page instead: nobody is paged, the
    row says why (never silent), and a later run does not try again."""
    load_roles(gateway, demo_settings)
    unit = ward(8, **paging_env(smtp.port), KIOSK_CALLS_EMERGENCY_ROLE="")
    bed = next(t for t in BedUnit(ref=unit.ref, gw=unit.gw).board().tiles.values() if t.patient)
    db = unit.database
    clock = TestClock()
    raise_call(db, NewCall("kiosk", "alone", "4W-NS-1", bed.ref, bed.name, Reason.EMERGENCY, naive(clock())))
    clock.advance(timedelta(minutes=3).total_seconds())
    assert run_job(unit.app, clock) == \
        "Emergency calls: 0 paged automatically, 1 with no one to page, 0 to try again."
    [call] = calls(db).values()
    assert call.auto_page == ("No one to page: no nurse is assigned to the bed on the whiteboard; calls.toml "
                              "names no emergency_role to page instead.")
    assert call.page_id is None and call.auto_paged_at is not None
    clock.advance(60)
    assert run_job(unit.app, clock).startswith("Emergency calls: 0 paged automatically, 0 with no one to page")
    screen = page_text(sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE).get("/calls/").get_data(as_text=True))
    assert "No one to page: no nurse is assigned to the bed on the whiteboard" in screen
    assert pages(db) == [] and smtp.mails == []


def test_an_emergency_answered_after_its_automatic_page_closes_that_page_before_it_reaches_the_backup(
        ward: Callable[..., Ward], gateway: FhirGateway, demo_settings: Settings, smtp: SmtpSink,
        webhook: WebhookReceiver) -> None:
    """The nurse paged by the kiosk went and answered the call at the bedside without acknowledging the
    page: the job's next run closes it, so it is not sent again and the charge nurse (the backup) is not
    paged 6 minutes on (paging escalates open pages only). An automatic page whose call waits stays open;
    a page a person sent about an answered call is theirs to close (the automatic one is closed all the
    same)."""
    unit, nurses_bed, others, empty = assigned_ward(ward, gateway, demo_settings,
                                                    **paging_env(smtp.port, webhook.url))
    db = unit.database
    clock = TestClock()
    for key, bed in (("answered", nurses_bed), ("waiting", empty), ("person", others[0])):
        raise_call(db, NewCall("nurse-call", key, "4W-NS-1", bed.ref, bed.name, Reason.EMERGENCY, naive(clock())))
    clock.advance(180)
    assert run_job(unit.app, clock).startswith("Emergency calls: 3 paged automatically")
    webhook.wait_for(1)
    smtp.wait_for(1)
    automatic = {key: call.page_id for key, call in calls(db).items()}
    assert automatic == {key: call.auto_page_id for key, call in calls(db).items()}
    # The secretary then pages the third call's bed again, to another nurse, from the calls screen: a page of
    # their own, which becomes the call's page.
    secretary = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    call_id = calls(db)["person"].id
    screen = secretary.get("/calls/").get_data(as_text=True)
    paged = secretary.post(f"/calls/{call_id}/page", data={"csrf_token": csrf_token(screen),
                                                           "nurse": unit.nurses[1].ref})
    assert paged.status_code == 200, page_text(paged.get_data(as_text=True))[:500]
    persons = calls(db)["person"].page_id
    assert persons is not None and persons != automatic["person"]

    clock.advance(30)
    for key in ("answered", "person"):
        assert answer(db, calls(db)[key].id, "bedside", "Nurse at the bedside", naive(clock()))
    assert run_job(unit.app, clock) == ("Emergency calls: 0 paged automatically, 0 with no one to page, 0 to try "
                                        "again. 2 automatic pages closed: their calls were answered.")
    status = {p.id: p.page_status for p in pages(db)}
    assert status[automatic["answered"]] is PageStatus.CANCELLED
    assert status[automatic["person"]] is PageStatus.CANCELLED  # the automatic one, though a person paged since
    assert status[automatic["waiting"]] is PageStatus.OPEN and status[persons] is PageStatus.OPEN
    with db.session() as session:
        closed = session.scalars(select(AuditRecord).where(AuditRecord.action == "page-cancelled")).all()
    assert sorted(c.entity or "" for c in closed) == sorted(f"Page/{automatic[k]}" for k in ("answered", "person"))
    assert all("the call light was answered" in (c.detail or "") for c in closed)
    assert run_job(unit.app, clock).startswith("Emergency calls: 0 paged automatically")  # closed once

