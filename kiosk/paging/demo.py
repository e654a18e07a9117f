"""Pages in every state for the demo (`kiosk seed-demo`, run by `make run`): waiting, paged again, backup
paged, waiting for an unreachable server, "check delivery", acknowledged, called back, cancelled, and a
call light's page. Written straight into the kiosk's database with their times set back (nothing is
sent); the scheduler then records them on the FHIR server like any page. Fixed public ids make a
second run add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk import secret_key
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway

from .compose import About, Draft
from .fhir import roles_by_identifier
from .models import MessageKind, MessageStatus, Page, PageMessage, PageStatus, utcnow
from .oncall import ON_CALL_FILE
from .recipients import Recipient, Route, best_route
from .services import DuplicatePage, PageRequest, Paging
from .settings import PAGING_FILE


@dataclass(frozen=True)
class DemoPage:
    public_id: str
    role: str  # PractitionerRole identifier
    minutes_ago: int
    urgency: str
    template: str | None
    text: str
    state: str  # open, repeated, backup, queued, unknown, acknowledged, called-back, cancelled
    about: int | None = None  # which occupied bed (index)
    on_call: str | None = None
    source: str = "kiosk"


DEMO_PAGES = (
    DemoPage("de0000000001", "HOSP-D1", 4, "stat", "patient-question", "BP 78/40 after the second dose.",
             "repeated", about=0, on_call="hospitalist"),
    DemoPage("de0000000002", "PR-P1001", 2, "urgent", "result", "Potassium 6.1.", "open", about=1),
    DemoPage("de0000000003", "PR-P1008", 1, "routine", "family", "", "queued", about=2),
    DemoPage("de0000000004", "PR-P1003", 25, "urgent", "call-unit", "About tonight's plan.", "backup", about=3),
    DemoPage("de0000000005", "PR-P1009", 12, "routine", None, "Diet order for the morning, please.", "unknown"),
    DemoPage("de0000000006", "PR-P1002", 35, "urgent", "patient-question", "Pain 8/10 despite oxycodone.",
             "acknowledged", about=4),
    DemoPage("de0000000007", "PR-P1007", 55, "routine", "transport", "CT at 14:00 moved to 15:30.", "called-back",
             about=5),
    DemoPage("de0000000008", "PR-P1004", 80, "routine", "result", "", "cancelled", about=6),
    DemoPage("de0000000009", "PR-N3002", 18, "urgent", "call-light", "Pain", "acknowledged", about=7,
             source="call-light"),
)


def seed_pages(settings: Settings, gw: FhirGateway, database: Database) -> str:
    config, on_call = PAGING_FILE.read(settings), ON_CALL_FILE.read(settings)
    roles = {r.identifier: r for r in roles_by_identifier(gw, sorted({p.role for p in DEMO_PAGES} | {"CN-4W-D"}),
                                                          on_call.role_system)}
    census = unit_census(gw)
    occupied = [e for e in census.encounters if e.status == "in-progress" and e.patient]
    beds = {b.reference: b.name for b in census.beds}
    now = utcnow()
    created = 0
    for demo in DEMO_PAGES:
        recipient = roles.get(demo.role)
        route = best_route(recipient, config.settings) if recipient else None
        if recipient is None or route is None:
            continue
        about, patient, encounter = None, None, None
        if demo.about is not None and demo.about < len(occupied):
            stay = occupied[demo.about]
            bed = next((beds[loc.location] for loc in stay.locations_with("active") if loc.location in beds), "")
            initials = census.patients[stay.patient].name.initials if stay.patient in census.patients else ""
            about, patient, encounter = About(bed, initials if demo.source == "kiosk" else ""), stay.patient, \
                stay.reference
        start = now - timedelta(minutes=demo.minutes_ago)
        service = Paging(database, config, secret_key(settings), clock=lambda start=start: start)
        request = PageRequest(public_id=demo.public_id, draft=Draft(demo.urgency, demo.template, demo.text,
                                                                    config.settings.callback_number, about),
                              recipient=recipient, route=route, station_id=settings.station.id,
                              on_call_role=demo.on_call, patient_ref=patient, encounter_ref=encounter,
                              requested_by="100001", requested_by_name="Dana Reyes", source=demo.source)
        try:
            page_id, _ = service.create(request)
        except DuplicatePage:
            continue
        _play(database, service, page_id, demo, start, roles.get("CN-4W-D"))
        created += 1
    return f"{created} demo pages added" if created else "demo pages already there"


def _play(database: Database, service: Paging, page_id: int, demo: DemoPage, start: datetime,
          charge_nurse: Recipient | None) -> None:
    """Bring a freshly written demo page to its state, with times as they would have been."""
    minute = timedelta(minutes=1)
    with database.session() as session:
        page = session.get(Page, page_id)
        first = session.query(PageMessage).filter_by(page_id=page_id, seq=0).one()
        assert page is not None
        if demo.state == "queued":
            first.attempts, first.next_attempt_at = 2, start + 2 * minute
            first.last_error = "The SMTP server at 127.0.0.1:25 cannot be reached (ConnectionRefusedError)."
            return
        first.attempts = 1
        if demo.state == "unknown":
            first.status = MessageStatus.UNKNOWN.value
            first.last_error = ("The connection to the SMTP server was lost after the message was sent "
                                "(SMTPServerDisconnected); it may or may not have been delivered.")
            return
        first.status, first.sent_at = MessageStatus.SENT.value, start
        if demo.state in ("acknowledged", "called-back", "cancelled"):
            answered = start + (4 if demo.state == "acknowledged" else 7) * minute
            page.answered_at = answered
            page.status = {"acknowledged": PageStatus.ACKNOWLEDGED, "called-back": PageStatus.CALLED_BACK,
                           "cancelled": PageStatus.CANCELLED}[demo.state].value
            page.answered_how = {"acknowledged": "link", "called-back": "called-back",
                                 "cancelled": "cancelled"}[demo.state]
            page.answered_by = page.recipient_name if demo.state == "acknowledged" else "Dana Reyes"
            if demo.state == "acknowledged":
                first.ack_used_at = answered
            if demo.state == "called-back":
                page.called_back_at, page.called_back_by = answered, "Dana Reyes"
            page.updated_at = answered
    if demo.state in ("repeated", "backup"):
        repeat = demo.minutes_ago >= 3 and _later_message(service, page_id, MessageKind.REPEAT, "REPEAT", start,
                                                          3 if demo.urgency == "stat" else 10)
        with database.session() as session:
            session.get(Page, page_id).escalation_step = 1 if repeat else 0  # type: ignore[union-attr]
    if demo.state == "backup" and charge_nurse is not None:
        route = best_route(charge_nurse, service.settings)
        if route is not None:
            _later_message(service, page_id, MessageKind.BACKUP, "BACKUP, no answer", start, 20, charge_nurse, route)
            with database.session() as session:
                session.get(Page, page_id).escalation_step = 2  # type: ignore[union-attr]


def _later_message(service: Paging, page_id: int, kind: MessageKind, prefix: str, start: datetime, after: int,
                   recipient: Recipient | None = None, route: Route | None = None) -> bool:
    """A repeat (to the first recipient, the same way) or a backup message, sent `after` minutes into the page."""
    database = service.database
    with database.session() as session:
        first = session.query(PageMessage).filter_by(page_id=page_id, seq=0).one()
        who = recipient or Recipient(first.recipient_ref, first.recipient_name, first.recipient_role)
        how = route or Route(first.channel, first.address, first.telecom_system, first.address)
    at = start + timedelta(minutes=after)
    timed = Paging(database, service.config, service.secret, clock=lambda: at)
    message_id = timed.add_message(page_id, kind, who, how, prefix)
    with database.session() as session:
        message = session.get(PageMessage, message_id)
        assert message is not None
        message.status, message.sent_at, message.attempts = MessageStatus.SENT.value, at, 1
    return True
