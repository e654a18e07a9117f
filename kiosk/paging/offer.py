"""What paging offers the other workflows (exported by kiosk/paging/__init__.py): the unit's nurses,
paging one of them about a bed (a call light), and how those pages stand. All of it within a web
request of the kiosk (it uses the app's settings, database and FHIR gateway).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from kiosk import audit
from kiosk.auth import current_staff_or_none
from kiosk.extensions import database, gateway, settings
from kiosk.fhir.errors import FhirError
from kiosk.settings_files import settings_of

from .compose import CALL_LIGHT, About, Draft
from .escalation import BACKUP_PAGED, timetable
from .fhir import recipient_by_ref, roles_of_practitioners, roles_offered
from .links import new_public_id
from .models import MessageStatus, Page, PageStatus, utcnow
from .oncall import ON_CALL_FILE, OnCall
from .recipients import Recipient, best_route, unreachable_reason
from .services import PageRequest, Paging, nurses_of_unit
from .settings import PAGING_FILE, PagingConfig
from .views import record_in_request


@dataclass(frozen=True)
class Nurse:
    """A nurse a call light may page: `ref` goes back to `page_nurse`."""

    ref: str
    name: str
    role: str
    reachable: bool
    how: str  # 'pager', 'phone (text)' ... or why they cannot be paged


@dataclass(frozen=True)
class PageOutcome:
    page_id: int | None
    sent: bool
    #: A sentence for the screen: "Paged Lena Ortiz (phone (text)); waiting for an acknowledgement."
    message: str


@dataclass(frozen=True)
class PageState:
    page_id: int
    status: str  # waiting, acknowledged, called back, cancelled
    recipient: str
    minutes: int
    timer: str  # '', 'amber', 'red'
    answered: bool


def _config() -> PagingConfig:
    return settings_of(PAGING_FILE)


def _on_call() -> OnCall:
    return settings_of(ON_CALL_FILE)


def unit_nurses() -> tuple[list[Nurse], str | None]:
    """The unit's nurses from the FHIR server, and why the list is empty when the server cannot give it."""
    refused = roles_offered(gateway().capabilities)
    if refused:
        return [], refused
    unit_ref = f"Location/{gateway().unit_location_id()}"
    choices = nurses_of_unit(gateway(), _config(), _on_call(), unit_ref)
    return [Nurse(c.recipient.ref, c.recipient.name, c.recipient.role, c.route is not None,
                  c.route.words if c.route else (c.problem or "")) for c in choices], None


def _nurse(ref: str) -> Recipient | None:
    """A PractitionerRole, or a Practitioner's nurse role on this unit (the whiteboard names people)."""
    gw = gateway()
    roles = _on_call()
    if ref.startswith("Practitioner/") and not roles_offered(gw.capabilities):
        found = roles_of_practitioners(gw, [ref], roles.role_system)
        nurse_code = _config().settings.nurse_role_code
        found.sort(key=lambda r: nurse_code not in r.codes)
        if found:
            return found[0]
    return recipient_by_ref(gw, ref, roles.role_system)


def page_nurse(ref: str, *, bed_name: str, reason: str, emergency: bool, patient_ref: str | None = None,
               encounter_ref: str | None = None, public_id: str | None = None) -> PageOutcome:
    """Page a nurse about a call from a bed: urgent, or stat for an emergency (which then escalates on
    the stat timetable). The message names the bed and the reason only."""
    try:
        recipient = _nurse(ref)
    except FhirError as e:
        return PageOutcome(None, False, e.message)
    if recipient is None:
        return PageOutcome(None, False, "That nurse has no active role on the FHIR server.")
    cfg = _config()
    route = best_route(recipient, cfg.settings)
    if route is None:
        return PageOutcome(None, False, f"{recipient.name} cannot be paged from here. {unreachable_reason(recipient)}")
    staff = current_staff_or_none()
    draft = Draft("stat" if emergency else "urgent", CALL_LIGHT.key, reason, cfg.settings.callback_number,
                  About(bed_name, ""))
    request = PageRequest(public_id=public_id or new_public_id(), draft=draft,
                          recipient=recipient, route=route, station_id=settings().station.id,
                          patient_ref=patient_ref, encounter_ref=encounter_ref,
                          requested_by=staff.badge if staff else None,
                          requested_by_name=staff.display_name if staff else None, source="call-light")
    service = Paging(database(), cfg, current_app.config["SECRET_KEY"])
    page_id, message_id = service.create(request)
    outcome = service.send(message_id)
    audit.record("page-sent", patient=patient_ref, entity=f"Page/{page_id}",
                 outcome="success" if outcome.status is not MessageStatus.FAILED else "failure",
                 detail=f"page {page_id} (call light) to {recipient.ref} by {route.channel}: {outcome.status}")
    record_in_request(page_id)
    if outcome.status is MessageStatus.SENT:
        return PageOutcome(page_id, True, f"Paged {recipient.name} ({route.words}); waiting for an acknowledgement.")
    return PageOutcome(page_id, False, f"{recipient.name}: {outcome.message}")


STATE_WORDS = {PageStatus.OPEN: "waiting", PageStatus.ACKNOWLEDGED: "acknowledged",
               PageStatus.CALLED_BACK: "called back", PageStatus.CANCELLED: "cancelled"}


def page_states(page_ids: list[int]) -> dict[int, PageState]:
    """How pages stand (for a screen listing what it paged), from the kiosk's database only."""
    ids = [i for i in page_ids if i]
    if not ids:
        return {}
    with database().session() as session:
        pages = list(session.scalars(select(Page).where(Page.id.in_(ids))))
    now = utcnow()
    escalation = _config().settings.escalation
    out = {}
    for page in pages:
        status = page.page_status
        open_ = status is PageStatus.OPEN
        timer = timetable(page.created_at, page.urgency, escalation).state(now) if open_ else ""
        if open_ and page.escalation_step >= BACKUP_PAGED:
            timer = "red"
        end = now if open_ else (page.answered_at or page.updated_at)
        out[page.id] = PageState(page.id, STATE_WORDS[status], page.recipient_name,
                                 max(0, int((end - page.created_at).total_seconds() // 60)), timer, not open_)
    return out
