"""Pages the kiosk sends by itself, outside a web request (exported by kiosk/paging/__init__.py): the
scheduler pages an on-call role about something it noticed (a transport job nobody accepted in time pages
the transport dispatcher) or one person (an emergency call light nobody answered pages the bed's nurse),
and closes the page when the thing it was about is over.

Exactly once per `key`: the page's public id is made from the key (an HMAC with the kiosk's secret, so the
id says nothing of what it is about), and the outbox's unique public id means a second call with the same
key (the scheduler restarted between writing the page and noting it) finds the page instead of writing
another. The page then lives like any other: sent at once, retried, escalated by the paging job, recorded
on the FHIR server.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from kiosk import secret_key
from kiosk.audit.services import SYSTEM_ACTOR, append
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.timeutil import utc_naive

from .compose import ALL_TEMPLATES, URGENCY_WORDS, About, Draft
from .fhir import recipient_by_ref, roles_by_identifier, roles_of_practitioners, roles_offered
from .models import MessageStatus, Page, PageMessage, PageStatus
from .oncall import ON_CALL_FILE, OnCall
from .recipients import best_route, unreachable_reason
from .services import DuplicatePage, MessageTooLong, PageRequest, Paging
from .settings import PAGING_FILE, PagingConfig


@dataclass(frozen=True)
class RolePage:
    """How paging an on-call role ended. `page_id` is set when a page exists (sent now, sent before, or
    waiting in the outbox); otherwise `words` says why nobody was paged. `retry`: the FHIR server could not
    be asked who is on call; try again at the next run."""

    page_id: int | None
    words: str
    retry: bool = False

    @property
    def paged(self) -> bool:
        return self.page_id is not None


def public_id_for(secret: str, key: str) -> str:
    """The page's public id for an idempotency key: 12 hex characters, like links.new_public_id."""
    return hmac.new(secret.encode("utf-8"), f"paging-key:{key}".encode(), hashlib.sha256).hexdigest()[:12]


def _existing(database: Database, page_id: int) -> RolePage:
    with database.session() as session:
        page = session.get(Page, page_id)
        first = session.scalar(select(PageMessage).where(PageMessage.page_id == page_id, PageMessage.seq == 0))
        assert page is not None
        status = first.message_status if first else MessageStatus.QUEUED
        return RolePage(page_id, f"{page.recipient_name}: {status.label.lower()}")


def _start(settings: Settings, database: Database, key: str, urgency: str, template: str, now: datetime
           ) -> RolePage | tuple[PagingConfig, OnCall, Paging, str]:
    """What both ways of paging on the kiosk's behalf begin with: the settings, the paging service at
    `now`, and the page's public id for `key`; or the page written before for that key (never twice)."""
    if urgency not in URGENCY_WORDS or template not in ALL_TEMPLATES:
        raise ValueError(f"unknown urgency {urgency!r} or template {template!r}")
    config, on_call = PAGING_FILE.read(settings), ON_CALL_FILE.read(settings)
    secret = secret_key(settings)
    service = Paging(database, config, secret, clock=lambda: utc_naive(now))
    public_id = public_id_for(secret, key)
    found = service.page_for_public_id(public_id)
    if found is not None:
        return _existing(database, found)
    return config, on_call, service, public_id


def page_role(settings: Settings, gw: FhirGateway, database: Database, *, role: str, key: str, urgency: str,
              template: str, text: str, about: About | None, source: str, now: datetime,
              patient_ref: str | None = None, encounter_ref: str | None = None) -> RolePage:
    """Page whoever is on call as `role` (config/on-call.toml) now, once per `key`. The message names the
    room and initials only (`about`, as paging's about_patient setting allows) and `text`."""
    start = _start(settings, database, key, urgency, template, now)
    if isinstance(start, RolePage):
        return start
    config, on_call, service, public_id = start
    on_call_role = on_call.role(role)
    if on_call_role is None:
        return RolePage(None, f"the role {role!r} is not in {on_call.source}.")
    people = list(on_call_role.people_at(now))
    if not people:
        return RolePage(None, f"nobody is on call as {on_call_role.name} now ({on_call.source}).")
    refused = roles_offered(gw.capabilities)
    if refused:
        return RolePage(None, refused)
    try:
        recipients = {r.identifier: r for r in roles_by_identifier(gw, people, on_call.role_system)}
    except FhirError as e:
        return RolePage(None, f"who is on call could not be read yet: {e.message}", retry=True)
    problems = []
    for identifier in people:
        recipient = recipients.get(identifier)
        if recipient is None:
            problems.append(f"{identifier} has no active role on the FHIR server")
            continue
        route = best_route(recipient, config.settings)
        if route is None:
            problems.append(f"{recipient.name}: {unreachable_reason(recipient)}")
            continue
        draft = Draft(urgency, template, text, config.settings.callback_number, about)
        request = PageRequest(public_id=public_id, draft=draft, recipient=recipient, route=route,
                              station_id=settings.station.id, on_call_role=on_call_role.key,
                              patient_ref=patient_ref, encounter_ref=encounter_ref,
                              requested_by_name="The kiosk (scheduler)", source=source)
        return _create_and_send(settings, database, service, request, f"{source}, on call {on_call_role.key}")
    return RolePage(None, f"nobody on call as {on_call_role.name} can be paged from here: {'; '.join(problems)}.")


def _create_and_send(settings: Settings, database: Database, service: Paging, request: PageRequest,
                     what: str) -> RolePage:
    """Write the page and its first message and send it at once (a page written before under the same
    public id is found, not written again); audited as sent by the kiosk."""
    try:
        page_id, message_id = service.create(request)
    except DuplicatePage as e:
        return _existing(database, e.page_id)
    except MessageTooLong:
        page_id, message_id = service.create(replace(request, draft=replace(request.draft, free_text="")))
    outcome = service.send(message_id)
    recipient, route = request.recipient, request.route
    with database.session() as session:
        append(session, station=settings.station.id, actor=SYSTEM_ACTOR, action="page-sent",
               patient=request.patient_ref, entity=f"Page/{page_id}",
               outcome="failure" if outcome.status is MessageStatus.FAILED else "success",
               detail=f"page {page_id} ({what}) to {recipient.ref} by {route.channel}: {outcome.status}")
    return RolePage(page_id, f"{recipient.name} ({route.words}): {outcome.status.label.lower()}")


def page_person(settings: Settings, gw: FhirGateway, database: Database, *, ref: str, key: str, urgency: str,
                template: str, text: str, about: About | None, source: str, now: datetime,
                patient_ref: str | None = None, encounter_ref: str | None = None) -> RolePage:
    """Page one person (a PractitionerRole, or a Practitioner by their role, the nurse's role first: the
    whiteboard names people), once per `key`, as `page_role` pages a role. When nobody was paged, `words`
    says why without naming the person (the caller knows whom it asked for); `RolePage.retry`: the FHIR
    server could not be asked how to reach them."""
    start = _start(settings, database, key, urgency, template, now)
    if isinstance(start, RolePage):
        return start
    config, on_call, service, public_id = start
    try:
        recipient = None
        if ref.startswith("Practitioner/") and not roles_offered(gw.capabilities):
            roles = roles_of_practitioners(gw, [ref], on_call.role_system)
            roles.sort(key=lambda r: config.settings.nurse_role_code not in r.codes)
            recipient = roles[0] if roles else None
        recipient = recipient or recipient_by_ref(gw, ref, on_call.role_system)
    except FhirError as e:
        return RolePage(None, f"could not be looked up yet: {e.message}", retry=True)
    if recipient is None:
        return RolePage(None, "has no active role on the FHIR server.")
    route = best_route(recipient, config.settings)
    if route is None:
        return RolePage(None, f"cannot be paged from here: {unreachable_reason(recipient)}")
    request = PageRequest(public_id=public_id, draft=Draft(urgency, template, text, config.settings.callback_number,
                                                           about),
                          recipient=recipient, route=route, station_id=settings.station.id, patient_ref=patient_ref,
                          encounter_ref=encounter_ref, requested_by_name="The kiosk (scheduler)", source=source)
    return _create_and_send(settings, database, service, request, source)


def close_page(settings: Settings, database: Database, page_id: int, why: str,
               clock: Callable[[], datetime] | None = None) -> bool:
    """Cancel a page still waiting for an answer (what it was about is over): its messages not yet sent
    are not sent and it escalates no further. An answered page is left as it is (and costs one query: the
    calls job asks again every run for the pages of calls answered that day)."""
    with database.session() as session:
        page = session.get(Page, page_id)
        if page is None or page.page_status is not PageStatus.OPEN:
            return False
    config = PAGING_FILE.read(settings)
    service = Paging(database, config, secret_key(settings), **({"clock": lambda: utc_naive(clock())} if clock else {}))
    closed = service.cancel(page_id, why[:120])
    if closed:
        with database.session() as session:
            append(session, station=settings.station.id, actor=SYSTEM_ACTOR, action="page-cancelled",
                   entity=f"Page/{page_id}", detail=f"page {page_id}: {why}"[:500])
    return closed
