"""The FHIR server's record of each page, kept up to date from the kiosk's own (the outbox is what
sends; the record follows it).

A page is a CommunicationRequest (active -> completed when answered, revoked when cancelled) and each
message a Communication (in-progress while it waits, completed once sent, not-done or unknown
otherwise, with `received` when its link or the platform acknowledged it), about the patient and
encounter when the page is. What the server does not offer is kept here instead (`RecordMode`): on
Epic and Oracle Health, which take Communication create but list no CommunicationRequest, the request
stays in the kiosk and each message is recorded once its outcome is known.

Recording never holds a page up: the message goes first, the record after, and a record the server
did not take is tried again by the scheduler (conditional creates and If-Match updates are safe to
repeat). A record changed at another station, or a create without If-None-Exist whose answer was
lost, stops here for a person (`fhir_problem`): the kiosk never overwrites or doubles it by itself.

Every change goes through kiosk.fhir.change: built as a Change with the page's declared needs, sent
as one transaction where the server takes them, with the versions the kiosk last wrote as If-Match
(a screen's own versions for what it showed).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from kiosk.db import Database
from kiosk.fhir.change import Change, Conflict, Done, Failed, NotAllowed, Outcome, Seen, ServerState, Unknown
from kiosk.fhir.client import identifier_query
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.refs import version_of

from .fhir import (
    MessageShape,
    PageShape,
    RecordMode,
    communication,
    communication_request,
    new_full_url,
    record_mode,
    versions_after,
)
from .models import MessageStatus, Page, PageMessage, PageStatus, utcnow
from .settings import PagingSettings

REQUEST_STATUS = {PageStatus.OPEN: "active", PageStatus.ACKNOWLEDGED: "completed",
                  PageStatus.CALLED_BACK: "completed", PageStatus.CANCELLED: "revoked"}
MESSAGE_STATUS = {MessageStatus.QUEUED: "in-progress", MessageStatus.SENDING: "in-progress",
                  MessageStatus.SENT: "completed", MessageStatus.FAILED: "not-done",
                  MessageStatus.UNKNOWN: "unknown", MessageStatus.CANCELLED: "not-done"}
FINAL = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.UNKNOWN)
ANSWER_WORDS = {"link": "Acknowledged with the link in the message", "platform": "Acknowledged on the messaging "
                "platform", "called-back": "Called back, recorded at the kiosk",
                "cancelled": "Cancelled at the kiosk"}
#: A claim on a page's recording older than this was left by a process that stopped.
STALE_CLAIM = timedelta(minutes=2)
MAX_STEPS = 12
#: Tries of one page's record before a person is asked to look.
MAX_ATTEMPTS = 12

#: Sends one change and says how it ended (the web: kiosk.web.changes.carry_out; the scheduler: send
#: and an audit row).
SendChange = Callable[[Change, Seen, Page], Outcome | None]


def fingerprint(resource: dict[str, Any]) -> str:
    """What a record says, leaving out its id and basedOn (which only ever go from new to known)."""
    content = {k: v for k, v in resource.items() if k not in ("id", "basedOn")}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Entry:
    kind: str  # request, message
    local_id: int
    ref: str | None  # 'Type/id' of what exists (an update), None for a create
    written: str  # '<status>:<fingerprint>' once the server holds it
    conditional: bool  # a create with If-None-Exist: safe to send again


@dataclass
class Step:
    """One change to send, and what each of its entries stands for, in the order the server answers
    them (updates first, then creates)."""

    change: Change
    entries: list[Entry] = field(default_factory=list)


def _page_shape(page: Page, messages: list[PageMessage], settings: PagingSettings) -> PageShape:
    recipients: list[tuple[str, str]] = [(page.recipient_ref, page.recipient_name)]
    for m in messages:
        if all(ref != m.recipient_ref for ref, _ in recipients):
            recipients.append((m.recipient_ref, m.recipient_name))
    notes: list[tuple[datetime, str]] = []
    if page.answered_at and page.answered_how and page.answered_how != "called-back":
        words = ANSWER_WORDS.get(page.answered_how, page.answered_how)
        notes.append((page.answered_at, f"{words}{f' ({page.answered_by})' if page.answered_by else ''}."))
    if page.called_back_at:
        by = f" ({page.called_back_by})" if page.called_back_by else ""
        notes.append((page.called_back_at, f"{ANSWER_WORDS['called-back']}{by}."))
    return PageShape(public_id=page.public_id, system=settings.page_system,
                     status=REQUEST_STATUS[page.page_status], urgency=page.urgency, text=page.record_text,
                     authored=page.created_at, patient=page.patient_ref, encounter=page.encounter_ref,
                     recipients=tuple(recipients), notes=tuple(notes))


def _message_shape(page: Page, message: PageMessage, settings: PagingSettings, based_on: str | None) -> MessageShape:
    status = message.message_status
    reason = None
    if status is MessageStatus.FAILED:
        reason = "Not delivered: " + (message.last_error or "refused")[:200]
    elif status is MessageStatus.UNKNOWN:
        reason = "Sending was cut off; it may or may not have arrived."
    elif status is MessageStatus.CANCELLED:
        reason = "The page was answered or cancelled before this message was sent."
    return MessageShape(key=f"{page.public_id}-{message.seq}", system=settings.message_system,
                        status=MESSAGE_STATUS[status], urgency=page.urgency, text=message.record_text,
                        recipient=(message.recipient_ref, message.recipient_name), patient=page.patient_ref,
                        encounter=page.encounter_ref, based_on=based_on, sent=message.sent_at,
                        received=message.ack_used_at, reason=reason)


def _id(ref: str | None) -> str | None:
    return ref.split("/", 1)[1] if ref else None


def next_step(page: Page, messages: list[PageMessage], mode: RecordMode, settings: PagingSettings) -> Step | None:
    """The next change that brings the server's record up to the page, or None when it holds it all.
    With transactions that is everything at once; without, one resource (the request first)."""
    updates: list[tuple[dict[str, Any], str, Entry]] = []
    creates: list[tuple[dict[str, Any], str | None, str | None, Entry]] = []
    request_ref = page.fhir_request_ref
    based_on = request_ref
    if mode.request:
        resource = communication_request(_page_shape(page, messages, settings), _id(request_ref))
        written = f"{resource['status']}:{fingerprint(resource)}"
        if request_ref is None:
            full_url = new_full_url() if mode.transaction else None
            creates.append((resource, identifier_query(settings.page_system, page.public_id), full_url,
                            Entry("request", page.id, None, written, True)))
            based_on = full_url
        elif page.fhir_request_written != written:
            updates.append((resource, page.fhir_request_version or "",
                            Entry("request", page.id, request_ref, written, False)))
    request_waits = mode.request and request_ref is None and not mode.transaction
    if mode.communication != "none" and not request_waits:
        for message in messages:
            status = message.message_status
            exists = message.communication_ref is not None
            if mode.communication == "once" and (exists or status not in FINAL):
                continue
            if status is MessageStatus.CANCELLED and not exists:
                continue
            resource = communication(_message_shape(page, message, settings, based_on if mode.request else None),
                                     _id(message.communication_ref))
            written = f"{resource['status']}:{fingerprint(resource)}"
            if not exists:
                conditional = mode.communication == "full"
                query = identifier_query(settings.message_system, f"{page.public_id}-{message.seq}")
                creates.append((resource, query if conditional else None, None,
                                Entry("message", message.id, None, written, conditional)))
            elif message.communication_written != written:
                updates.append((resource, message.communication_version or "",
                                Entry("message", message.id, message.communication_ref, written, False)))
    if not updates and not creates:
        return None
    if not mode.transaction:  # one resource per change, the request first
        if creates and creates[0][3].kind == "request":
            updates = []
            creates = creates[:1]
        elif updates:
            updates, creates = updates[:1], []
        else:
            creates = creates[:1]
    step = Step(Change(f"page {page.id} record", mode.needs))
    for resource, version, entry in updates:
        step.change.update((resource, version))
        step.entries.append(entry)
    for resource, query, full_url, entry in creates:
        step.change.create(resource, if_none_exist=query, full_url=full_url)
        step.entries.append(entry)
    return step


def known_versions(page: Page, messages: list[PageMessage]) -> Seen:
    """The versions the kiosk last wrote: what its updates send as If-Match."""
    pairs = [(page.fhir_request_ref or "", page.fhir_request_version)]
    pairs += [(m.communication_ref or "", m.communication_version) for m in messages]
    return Seen.of((ref, version) for ref, version in pairs if ref)


# ---------------------------------------------------------------- applying what the server answered


def _store(database: Database, page_id: int, written: list[tuple[Entry, str, str | None]]) -> None:
    with database.session() as session:
        for entry, ref, version in written:
            if entry.kind == "request":
                session.execute(update(Page).where(Page.id == page_id).values(
                    fhir_request_ref=ref, fhir_request_version=version, fhir_request_written=entry.written)
                    .execution_options(synchronize_session=False))
            else:
                session.execute(update(PageMessage).where(PageMessage.id == entry.local_id).values(
                    communication_ref=ref, communication_version=version, communication_written=entry.written)
                    .execution_options(synchronize_session=False))


def _problem(database: Database, page_id: int, text: str) -> None:
    with database.session() as session:
        session.execute(update(Page).where(Page.id == page_id).values(fhir_problem=text)
                        .execution_options(synchronize_session=False))


def _later(database: Database, page_id: int, now: datetime, why: str) -> None:
    """Try again after a backoff; after MAX_ATTEMPTS a person decides."""
    with database.session() as session:
        page = session.get(Page, page_id)
        if page is None:
            return
        page.fhir_attempts += 1
        if page.fhir_attempts >= MAX_ATTEMPTS:
            page.fhir_problem = (f"The FHIR server did not take this page's record after {page.fhir_attempts} "
                                 f"tries ({why}). The page itself is not affected.")
        else:
            page.fhir_next_at = now + timedelta(seconds=min(600, 10 * 2 ** min(page.fhir_attempts - 1, 6)))


def _from_state(step: Step, now_state: ServerState) -> tuple[list[tuple[Entry, str, str | None]], bool]:
    """What the re-read after a failure found written (entry, ref, version), and whether the rest may be
    sent again safely (conditional creates, and updates the server still holds at the version sent)."""
    written: list[tuple[Entry, str, str | None]] = []
    keys: list[str] = []
    for entry in step.entries:
        keys.append(entry.ref or f"new#{sum(1 for k in keys if k.startswith('new#'))}")
    safe = now_state.checked and not now_state.changed_elsewhere
    for entry, key in zip(step.entries, keys, strict=True):
        if key in now_state.written:
            ref = now_state.created.get(key, key)
            written.append((entry, ref, version_of(now_state.current.get(ref))))
        elif key in now_state.undecided or (not entry.ref and not entry.conditional):
            safe = False
    return written, safe


def apply(gw: FhirGateway, database: Database, page_id: int, step: Step, outcome: Outcome | None,
          now: datetime) -> bool:
    """Store what the server now holds; True when recording may go on at once."""
    if isinstance(outcome, Done):
        results = {r.reference: r.version for r in outcome.results}
        pairs = list(zip(step.entries, outcome.written, strict=False))
        missing = [ref for _, ref in pairs if ref and not results.get(ref)]
        results.update(versions_after(gw, missing))
        _store(database, page_id, [(entry, ref, results.get(ref)) for entry, ref in pairs])
        return True
    if outcome is None or isinstance(outcome, NotAllowed):
        _problem(database, page_id, (outcome.message if outcome else "The kiosk could not tell which version of "
                                     "this record it wrote last.") + " The page itself is not affected.")
        return False
    if isinstance(outcome, Conflict):
        _problem(database, page_id, "The FHIR record of this page was changed at another station; the kiosk did "
                                    "not overwrite it. Check it in the EHR.")
        return False
    assert isinstance(outcome, Unknown | Failed)
    written, safe = _from_state(step, outcome.now)
    _store(database, page_id, written)
    if written and len(written) == len(step.entries):
        return True
    refused_for_good = isinstance(outcome, Failed) and outcome.status is not None and 400 <= outcome.status < 500
    if safe and not refused_for_good:
        _later(database, page_id, now, outcome.message)
        return False
    _problem(database, page_id, "The FHIR server may hold part of this page's record (its answer was lost), and "
                                "the kiosk cannot tell without risking a second copy. Check it in the EHR. "
                                f"({outcome.message})")
    return False


# ---------------------------------------------------------------- one page, all the way


def _claim(database: Database, page_id: int, now: datetime) -> str | None:
    token = uuid.uuid4().hex
    with database.session() as session:
        result = session.execute(
            update(Page).where(Page.id == page_id, Page.fhir_problem.is_(None),
                               or_(Page.fhir_claim_token.is_(None), Page.fhir_claimed_at < now - STALE_CLAIM))
            .values(fhir_claim_token=token, fhir_claimed_at=now).execution_options(synchronize_session=False))
        return token if result.rowcount == 1 else None


def _release(database: Database, page_id: int, token: str, done: bool, notes: list[str]) -> None:
    with database.session() as session:
        values: dict[str, object] = {"fhir_claim_token": None, "fhir_claimed_at": None,
                                     "fhir_note": " ".join(notes) or None}
        if done:
            values.update(fhir_pending=False, fhir_attempts=0, fhir_next_at=None)
        session.execute(update(Page).where(Page.id == page_id, Page.fhir_claim_token == token).values(**values)
                        .execution_options(synchronize_session=False))


def _load(database: Database, page_id: int) -> tuple[Page, list[PageMessage]]:
    with database.session() as session:
        page = session.get(Page, page_id)
        assert page is not None
        messages = list(session.scalars(select(PageMessage).where(PageMessage.page_id == page_id)
                                        .order_by(PageMessage.seq)))
        return page, messages


@dataclass
class Recorded:
    outcomes: list[Outcome] = field(default_factory=list)
    #: The server holds everything the kiosk knows of the page.
    complete: bool = False
    #: Another process was recording this page at the same moment (it finishes the work).
    busy: bool = False


def record_page(gw: FhirGateway, database: Database, page_id: int, settings: PagingSettings, send: SendChange,
                shown: Seen | None = None, clock: Callable[[], datetime] = utcnow) -> Recorded:
    """Bring the server's record of one page up to date, change by change. `shown` are versions a
    screen showed (they replace the kiosk's own as If-Match)."""
    now = clock()
    token = _claim(database, page_id, now)
    if token is None:
        return Recorded(busy=True)
    mode = record_mode(gw.capabilities)
    recorded = Recorded()
    try:
        for _ in range(MAX_STEPS):
            page, messages = _load(database, page_id)
            if page.fhir_problem:
                break
            step = next_step(page, messages, mode, settings)
            if step is None:
                recorded.complete = True
                break
            seen = Seen({**known_versions(page, messages), **(shown or {})})
            outcome = send(step.change, seen, page)
            if outcome is not None:
                recorded.outcomes.append(outcome)
            if not apply(gw, database, page_id, step, outcome, now):
                break
    finally:
        _release(database, page_id, token, recorded.complete, mode.notes)
    return recorded


def pages_to_record(database: Database, now: datetime, limit: int = 50) -> list[int]:
    with database.session() as session:
        return list(session.scalars(
            select(Page.id).where(Page.fhir_pending.is_(True), Page.fhir_problem.is_(None),
                                  or_(Page.fhir_next_at.is_(None), Page.fhir_next_at <= now))
            .order_by(Page.id).limit(limit)))


def entity_of(page: Page) -> str:
    """The page in the audit trail: its FHIR record, or the kiosk's own page."""
    return page.fhir_request_ref or f"Page/{page.id}"
