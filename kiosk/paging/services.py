"""A page from start to end: written with its first message, sent at once, acknowledged (the link in a
message, the messaging platform, or the secretary's "called back"), cancelled, or escalated by the
scheduler (again after N minutes, then the backup after M).

`Paging` holds what every step needs (the database, the settings, the key acknowledgement links are
signed with, a clock); the web and the scheduler each make one. Whom a page may go to is built by
`recipient_list` from the FHIR server and config/on-call.toml.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway

from . import channels
from .compose import About, Composed, Draft, compose, fit, plain
from .escalation import BACKUP_PAGED, REPEATED, Due, timetable
from .fhir import (
    PatientForPage,
    practitioners_as_recipients,
    roles_at,
    roles_by_id,
    roles_by_identifier,
    roles_of_practitioners,
    roles_offered,
)
from .links import ack_link, message_key
from .models import MessageKind, MessageStatus, Page, PageMessage, PageStatus, utcnow
from .oncall import OnCall
from .outbox import Deliver, Outbox, SendOutcome
from .recipients import Choice, Group, Recipient, RecipientList, Route, best_route, choice
from .settings import PagingConfig

log = logging.getLogger("kiosk.paging")


@dataclass(frozen=True)
class PageRequest:
    """A page to send, from the compose screen or another workflow (a call light)."""

    public_id: str  # made when the form was drawn (links.new_public_id)
    draft: Draft
    recipient: Recipient
    route: Route
    station_id: str
    on_call_role: str | None = None
    patient_ref: str | None = None
    encounter_ref: str | None = None
    requested_by: str | None = None  # badge
    requested_by_name: str | None = None
    source: str = "kiosk"


class DuplicatePage(Exception):
    """A page with this public id exists: the same form was sent twice."""

    def __init__(self, page_id: int):
        super().__init__(f"page {page_id} has this public id")
        self.page_id = page_id


class MessageTooLong(ValueError):
    def __init__(self, composed: Composed):
        super().__init__(f"The message is {composed.length} characters; the pager shows {composed.limit}.")
        self.composed = composed


@dataclass(frozen=True)
class AckResult:
    """How an acknowledgement ended: acknowledged, used (the link was used before), expired, unknown."""

    kind: str
    unit_name: str = ""
    callback: str = ""
    page_id: int | None = None
    used_at: datetime | None = None
    #: The page had been answered (or cancelled) already; the acknowledgement is kept all the same.
    late: bool = False


@dataclass
class EscalationSummary:
    repeated: int = 0
    backups: int = 0
    not_paged: list[str] = field(default_factory=list)
    #: (page id, what happened) for the audit trail: ids and words, no patient data.
    events: list[tuple[int, str]] = field(default_factory=list)

    def line(self) -> str:
        text = f"escalation: {self.repeated} paged again, {self.backups} backups paged"
        return text + (f"; {len(self.not_paged)} could not be escalated" if self.not_paged else "")


def draft_of(page: Page) -> Draft:
    about = About(page.about_room or "", page.about_initials or "") if page.about_room or page.about_initials \
        else None
    return Draft(page.urgency, page.template, page.free_text, page.callback, about)


class Paging:
    def __init__(self, database: Database, config: PagingConfig, secret: str,
                 clock: Callable[[], datetime] = utcnow, deliver: Deliver = channels.deliver):
        self.database = database
        self.config = config
        self.settings = config.settings
        self.secret = secret
        self.clock = clock
        self.outbox = Outbox(database, config, self.ack_url, clock, deliver)

    def ack_url(self, key: str) -> str:
        return ack_link(self.settings.public_url, self.secret, key)

    def preview(self, public_id: str, draft: Draft) -> Composed:
        """The first message exactly as it will be sent (its link included)."""
        return compose(draft, self.settings, self.ack_url(message_key(public_id, 0)))

    # ------------------------------------------------------------ writing and sending

    def create(self, request: PageRequest) -> tuple[int, int]:
        """Store the page and its first message (queued, due now); returns (page id, message id). Raises
        DuplicatePage when the form was sent before, MessageTooLong when it does not fit the pager."""
        composed = self.preview(request.public_id, request.draft)
        if composed.too_long:
            raise MessageTooLong(composed)
        now = self.clock()
        about = request.draft.about
        page = Page(public_id=request.public_id, created_at=now, updated_at=now, station_id=request.station_id,
                    requested_by=request.requested_by, requested_by_name=request.requested_by_name,
                    source=request.source, urgency=request.draft.urgency, template=request.draft.template,
                    free_text=composed.free_text, callback=request.draft.callback, record_text=composed.record_text,
                    patient_ref=request.patient_ref, encounter_ref=request.encounter_ref,
                    about_room=about.room if about else None, about_initials=about.initials if about else None,
                    recipient_ref=request.recipient.ref, recipient_name=request.recipient.name,
                    recipient_role=request.recipient.role, on_call_role=request.on_call_role,
                    status=PageStatus.OPEN.value, escalation_step=0, fhir_pending=True)
        try:
            with self.database.session() as session:
                session.add(page)
                session.flush()
                message = self._message(page.id, 0, MessageKind.FIRST, request.recipient, request.route, composed, now)
                session.add(message)
                session.flush()
                return page.id, message.id
        except IntegrityError:
            existing = self.page_for_public_id(request.public_id)
            if existing is None:
                raise
            raise DuplicatePage(existing) from None

    @staticmethod
    def _message(page_id: int, seq: int, kind: MessageKind, recipient: Recipient, route: Route, composed: Composed,
                 now: datetime) -> PageMessage:
        return PageMessage(page_id=page_id, seq=seq, kind=kind.value, created_at=now, updated_at=now,
                           recipient_ref=recipient.ref, recipient_name=recipient.name, recipient_role=recipient.role,
                           channel=route.channel, address=route.address, telecom_system=route.system,
                           subject=composed.subject, body=composed.text, record_text=composed.record_text,
                           status=MessageStatus.QUEUED.value, attempts=0, next_attempt_at=now)

    def page_for_public_id(self, public_id: str) -> int | None:
        with self.database.session() as session:
            return session.scalar(select(Page.id).where(Page.public_id == public_id))

    def send(self, message_id: int) -> SendOutcome:
        return self.outbox.send(message_id)

    def first_message(self, page_id: int) -> int | None:
        with self.database.session() as session:
            return session.scalar(select(PageMessage.id).where(PageMessage.page_id == page_id, PageMessage.seq == 0))

    # ------------------------------------------------------------ answers

    def acknowledge(self, key: str, how: str, by: str | None = None) -> AckResult:
        """Record the acknowledgement of one message (its link works once). `how`: link or platform."""
        public_id, _, seq_text = key.rpartition("-")
        if not seq_text.isdigit():
            return AckResult("unknown")
        now = self.clock()
        with self.database.session() as session:
            found = session.execute(
                select(PageMessage, Page).join(Page, Page.id == PageMessage.page_id)
                .where(Page.public_id == public_id, PageMessage.seq == int(seq_text))).first()
            if found is None:
                return AckResult("unknown")
            message, page = found
            words = AckResult("", plain(self.settings.unit_name, False), page.callback, page.id)
            if message.ack_used_at is not None:
                return AckResult("used", words.unit_name, words.callback, page.id, used_at=message.ack_used_at)
            if message.created_at + timedelta(hours=self.settings.ack_link_hours) < now:
                return AckResult("expired", words.unit_name, words.callback, page.id)
            claimed = session.execute(
                update(PageMessage).where(PageMessage.id == message.id, PageMessage.ack_used_at.is_(None))
                .values(ack_used_at=now, updated_at=now).execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                return AckResult("used", words.unit_name, words.callback, page.id, used_at=now)
            answered = session.execute(
                update(Page).where(Page.id == page.id, Page.status == PageStatus.OPEN.value)
                .values(status=PageStatus.ACKNOWLEDGED.value, answered_at=now, answered_how=how,
                        answered_by=by or message.recipient_name, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
            session.execute(update(Page).where(Page.id == page.id).values(fhir_pending=True, fhir_next_at=None)
                            .execution_options(synchronize_session=False))
        if answered:
            self.outbox.cancel_waiting(page.id)
        log.info("page %s acknowledged (%s, message %s)", page.id, how, message.id)
        return AckResult("acknowledged", words.unit_name, words.callback, page.id, late=not answered)

    def called_back(self, page_id: int, by: str) -> bool:
        """The secretary records that the person paged called back (after an acknowledgement or not)."""
        now = self.clock()
        with self.database.session() as session:
            page = session.get(Page, page_id)
            if page is None or page.page_status is PageStatus.CANCELLED or page.called_back_at is not None:
                return False
            if page.answered_at is None:
                page.answered_at, page.answered_how, page.answered_by = now, "called-back", by
            page.status = PageStatus.CALLED_BACK.value
            page.called_back_at, page.called_back_by = now, by
            page.updated_at, page.fhir_pending, page.fhir_next_at = now, True, None
        self.outbox.cancel_waiting(page_id)
        return True

    def cancel(self, page_id: int, by: str) -> bool:
        now = self.clock()
        with self.database.session() as session:
            changed = session.execute(
                update(Page).where(Page.id == page_id, Page.status == PageStatus.OPEN.value)
                .values(status=PageStatus.CANCELLED.value, answered_at=now, answered_how="cancelled", answered_by=by,
                        updated_at=now, fhir_pending=True, fhir_next_at=None)
                .execution_options(synchronize_session=False)).rowcount
        if changed:
            self.outbox.cancel_waiting(page_id)
        return bool(changed)

    # ------------------------------------------------------------ escalation (the scheduler)

    def _claim_step(self, page_id: int, below: int, to: int, note: str | None = None) -> bool:
        with self.database.session() as session:
            return session.execute(
                update(Page).where(Page.id == page_id, Page.status == PageStatus.OPEN.value,
                                   Page.escalation_step < below)
                .values(escalation_step=to, escalation_note=note, updated_at=self.clock())
                .execution_options(synchronize_session=False)).rowcount == 1

    def add_message(self, page_id: int, kind: MessageKind, recipient: Recipient, route: Route,
                    prefix: str) -> int:
        """Write the page's next message (a repeat or the backup), queued; returns its id."""
        now = self.clock()
        with self.database.session() as session:
            page = session.get(Page, page_id)
            assert page is not None
            seq = (session.scalar(select(func.max(PageMessage.seq)).where(PageMessage.page_id == page_id)) or 0) + 1
            composed = fit(draft_of(page), self.settings, self.ack_url(message_key(page.public_id, seq)), prefix)
            message = self._message(page_id, seq, kind, recipient, route, composed, now)
            session.add(message)
            page.fhir_pending, page.fhir_next_at = True, None
            session.flush()
            return message.id

    def due_pages(self) -> list[tuple[int, Due]]:
        now = self.clock()
        with self.database.session() as session:
            pages = list(session.scalars(select(Page).where(Page.status == PageStatus.OPEN.value,
                                                             Page.escalation_step < BACKUP_PAGED)))
        out = []
        for page in pages:
            due = timetable(page.created_at, page.urgency, self.settings.escalation).due(page.escalation_step, now)
            if due is not None:
                out.append((page.id, due))
        return out

    def escalate(self, gw: FhirGateway, on_call: OnCall) -> EscalationSummary:
        """Page again, or page the backup, for every open page that is due (one step each run)."""
        summary = EscalationSummary()
        for page_id, due in self.due_pages():
            if due is Due.REPEAT:
                repeated = self._repeat(page_id)
                summary.repeated += repeated
                summary.events.append((page_id, "paged again" if repeated else "not paged again: first message "
                                                                                 "still waiting"))
            else:
                paged, problem = self._backup(page_id, gw, on_call)
                summary.backups += paged
                if problem:
                    summary.not_paged.append(f"page {page_id}")
                summary.events.append((page_id, "backup paged" if paged else f"backup not paged: {problem}"))
        return summary

    def _repeat(self, page_id: int) -> int:
        with self.database.session() as session:
            first = session.scalar(select(PageMessage).where(PageMessage.page_id == page_id, PageMessage.seq == 0))
            assert first is not None
            waiting = first.message_status in (MessageStatus.QUEUED, MessageStatus.SENDING)
            recipient = Recipient(first.recipient_ref, first.recipient_name, first.recipient_role)
            route = Route(first.channel, first.address, first.telecom_system, first.address)
        if waiting:
            self._claim_step(page_id, REPEATED, REPEATED, "Not paged again: the first message is still waiting "
                                                          "to be sent.")
            return 0
        if not self._claim_step(page_id, REPEATED, REPEATED):
            return 0
        self.send(self.add_message(page_id, MessageKind.REPEAT, recipient, route, "REPEAT"))
        return 1

    def _backup(self, page_id: int, gw: FhirGateway, on_call: OnCall) -> tuple[int, str | None]:
        with self.database.session() as session:
            page = session.get(Page, page_id)
            assert page is not None
        try:
            found = find_backup(gw, page, on_call, self.config, self.clock())
        except FhirError as e:  # tried again at the next run; the screen says why
            with self.database.session() as session:
                session.execute(update(Page).where(Page.id == page_id).values(
                    escalation_note=f"The backup could not be looked up yet: {e.message}")
                    .execution_options(synchronize_session=False))
            return 0, e.message
        if isinstance(found, str):
            self._claim_step(page_id, BACKUP_PAGED, BACKUP_PAGED, f"No backup could be paged: {found}")
            return 0, found
        recipient, route = found
        if not self._claim_step(page_id, BACKUP_PAGED, BACKUP_PAGED):
            return 0, None
        self.send(self.add_message(page_id, MessageKind.BACKUP, recipient, route,
                                    f"BACKUP, no answer from {page.recipient_name}"))
        return 1, None


def find_backup(gw: FhirGateway, page: Page, on_call: OnCall, config: PagingConfig,
                now: datetime) -> tuple[Recipient, Route] | str:
    """Whom to page when nobody answered: the on-call role's next person after the one paged, else the
    backup role (the charge nurse). A sentence says why when there is nobody to page."""
    refused = roles_offered(gw.capabilities)
    if refused:
        return refused
    moment = now.replace(tzinfo=None)
    role = on_call.role(page.on_call_role) if page.on_call_role else None
    backup_role = on_call.role(config.settings.backup_role)
    role_people = list(role.people_at(moment)) if role else []
    backup_people = list(backup_role.people_at(moment)) if backup_role else []
    found = {r.identifier: r for r in roles_by_identifier(gw, role_people + backup_people, on_call.role_system)}
    candidates = role_people
    current = next((r.identifier for r in found.values() if r.ref == page.recipient_ref), None)
    if current in role_people:
        candidates = role_people[role_people.index(current) + 1:]
    for identifier in [*candidates, *backup_people]:
        recipient = found.get(identifier)
        if recipient is None or recipient.ref == page.recipient_ref:
            continue
        route = best_route(recipient, config.settings)
        if route is not None:
            return recipient, route
    names = [r.name for r in (role, backup_role) if r is not None]
    if not names:
        return "no backup role is set up (backup_role in config/paging.toml)."
    return f"nobody else on call ({', '.join(names)}) has a pager or phone this kiosk can reach."


# ---------------------------------------------------------------- whom to page


def recipient_list(gw: FhirGateway, config: PagingConfig, on_call: OnCall, unit_ref: str, unit_name: str,
                   about: PatientForPage | None, now: datetime) -> RecipientList:
    """The people a page may go to: the patient's attending and care team first (when about a patient),
    who is on call now, then the unit's providers and nurses. Each once, in the first group it fits."""
    settings = config.settings
    out = RecipientList()
    if about is not None:
        out.notes.extend(about.notes)
    refused = roles_offered(gw.capabilities)
    if refused:
        out.notes.append(f"{refused} On-call roles and the unit's providers cannot be listed.")
        if about is not None:
            team = practitioners_as_recipients(gw, [m.ref for m in about.team if m.ref.startswith("Practitioner/")],
                                               about.practitioners)
            why = {m.ref: m.why for m in about.team}
            out.groups.append(Group("Attending and care team",
                                    [choice(r, settings, why.get(r.ref, "Care team")) for r in team]))
        return out
    shown: set[str] = set()

    def add(title: str, items: list[Choice]) -> None:
        fresh = [c for c in items if c.recipient.ref not in shown]
        shown.update(c.recipient.ref for c in fresh)
        if fresh:
            out.groups.append(Group(title, fresh))

    if about is not None:
        team_practitioners = [m.ref for m in about.team if m.ref.startswith("Practitioner/")]
        roles = roles_of_practitioners(gw, team_practitioners, on_call.role_system)
        roles += roles_by_id(gw, [m.ref for m in about.team if m.ref.startswith("PractitionerRole/")],
                             on_call.role_system)
        order = {m.ref: i for i, m in enumerate(about.team)}
        why = {m.ref: m.why for m in about.team}

        def rank(r: Recipient) -> int:
            return min(order.get(r.ref, 99), order.get(r.practitioner or "", 99))

        on_call_pagers = {p for role in on_call.roles for shift in role.shifts for p in shift.people}
        roles = [r for r in roles if r.identifier not in on_call_pagers]
        roles.sort(key=lambda r: (rank(r), r.name))
        add("Attending and care team",
            [choice(r, settings, why.get(r.ref) or why.get(r.practitioner or "", "Care team")) for r in roles])
        missing = [m for m in about.team if m.ref.startswith("Practitioner/")
                   and all(r.practitioner != m.ref for r in roles)]
        if missing:
            out.notes.append(f"{len(missing)} of the patient's practitioners have no active role to page on the "
                             "FHIR server.")
    moment = now.replace(tzinfo=None)
    people = {role.key: list(role.people_at(moment)) for role in on_call.roles}
    on_call_roles = {r.identifier: r for r in roles_by_identifier(
        gw, sorted({p for ids in people.values() for p in ids}), on_call.role_system)}
    on_call_choices = []
    for role in on_call.roles:
        ids = people[role.key]
        if not ids:
            continue
        recipient = on_call_roles.get(ids[0])
        if recipient is None:
            out.notes.append(f"{role.name}: {ids[0]} is on call but has no active role on the FHIR server.")
            continue
        on_call_choices.append(choice(recipient, settings, role.name, on_call_role=role.key))
    if on_call_choices:
        out.groups.append(Group("On call now", on_call_choices))
        shown.update(c.recipient.ref for c in on_call_choices)
    unit_roles = sorted(roles_at(gw, unit_ref, on_call.role_system), key=lambda r: (settings.nurse_role_code in r.codes,
                                                                                   r.name))
    add(f"{unit_name} providers and nurses", [choice(r, settings, unit_name) for r in unit_roles])
    return out


def nurses_of_unit(gw: FhirGateway, config: PagingConfig, on_call: OnCall, unit_ref: str) -> list[Choice]:
    """The unit's nurses (PractitionerRole at the unit with the nurse code), for a call light."""
    if roles_offered(gw.capabilities):
        return []
    nurses = [r for r in roles_at(gw, unit_ref, on_call.role_system) if config.settings.nurse_role_code in r.codes]
    return [choice(r, config.settings, "Nurse") for r in sorted(nurses, key=lambda r: r.name)]
