"""An emergency call escalates like a stat page, by itself: an emergency nobody answered and nobody paged
by the stat page's first escalation step (config/paging.toml stat_repeat_minutes, counted from the call)
is paged STAT by the scheduler (kiosk/calls/jobs.py) to the nurse assigned to the bed on the whiteboard,
or, with no nurse to page, to whoever is on call as calls.toml's emergency_role (the charge nurse). From
then on it is a page like any other: the paging job sends it again and pages the backup when nobody
acknowledges it.

Once per call: the page's idempotency key is the call's id, so a scheduler that stopped between writing
the page and noting it here finds the page at its next run instead of sending another (and a nurse who
cannot be reached, followed by the on-call role, is still one page). The call's row says what came of it:
"Paged automatically: ...", or "No one to page: ..." (never nothing); while the FHIR server cannot say
who to page, "Not paged yet: ..." and the next run tries again. A call answered, or paged by a person,
before the step pages nobody. A call answered after its automatic page closes that page at the job's next
run (if nobody acknowledged it yet): it sends nothing more and does not escalate to the backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kiosk import paging
from kiosk.audit.services import SYSTEM_ACTOR, append
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.timeutil import utc_naive
from kiosk.whiteboard import WHITEBOARD_FILE, bed_nurses

from .fhir import occupant
from .models import CallLight

#: The paging urgency an emergency escalates like.
URGENCY = "stat"
PAGED = "Paged automatically"
NOBODY = "No one to page"
NOT_YET = "Not paged yet"


#: Why an automatic page is closed once its call is answered (kept with the page and in the audit trail).
ANSWERED = "the call light was answered"
#: Calls answered this recently are looked at for an automatic page still open.
ANSWERED_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class EmergencyRun:
    paged: int = 0
    nobody: int = 0
    waiting: int = 0
    #: Automatic pages closed because their call was answered.
    closed: int = 0

    def line(self) -> str:
        """The scheduler's log line (counts only, no patient data)."""
        closed = ""
        if self.closed:
            closed = (" 1 automatic page closed: its call was answered." if self.closed == 1 else
                      f" {self.closed} automatic pages closed: their calls were answered.")
        return (f"Emergency calls: {self.paged} paged automatically, {self.nobody} with no one to page, "
                f"{self.waiting} to try again.{closed}")


def page_key(call_id: int) -> str:
    """The idempotency key of the page an emergency call escalates to (one per call)."""
    return f"call-light:{call_id}:emergency"


def due_emergencies(database: Database, settings: Settings, now: datetime) -> list[CallLight]:
    """The emergencies not answered, not paged (by a person or before) and past the stat page's first
    escalation step: one query, and no FHIR request."""
    at = utc_naive(now)
    step = paging.first_escalation_at(at, URGENCY, settings) - at
    with database.session() as session:
        return list(session.scalars(select(CallLight).where(
            CallLight.emergency.is_(True), CallLight.answered_at.is_(None), CallLight.page_id.is_(None),
            CallLight.auto_paged_at.is_(None), CallLight.raised_at <= at - step).order_by(CallLight.raised_at)))


def _still_due(database: Database, call_id: int) -> bool:
    with database.session() as session:
        call = session.get(CallLight, call_id)
        return call is not None and call.answered_at is None and call.page_id is None and call.auto_paged_at is None


def answered_auto_pages(database: Database, now: datetime) -> list[int]:
    """The automatic pages of the emergencies answered within ANSWERED_WITHIN (one query). A page a person
    sent about the call (kiosk/calls/views.py) is another page, the person's to close: not among these."""
    at = utc_naive(now)
    with database.session() as session:
        return [page_id for page_id in session.scalars(select(CallLight.auto_page_id).where(
            CallLight.emergency.is_(True), CallLight.answered_at >= at - ANSWERED_WITHIN,
            CallLight.auto_page_id.is_not(None))) if page_id is not None]


def close_answered(settings: Settings, database: Database, now: datetime) -> int:
    """Close the automatic pages still open whose call was answered (at the bedside or at the kiosk): the
    nurse paged was there, or someone else was; the page must not go on to escalate to the backup.
    Answers how many were closed (a page already acknowledged, or closed before, is left as it is)."""
    return sum(1 for page_id in answered_auto_pages(database, now)
               if paging.close_page(settings, database, page_id, ANSWERED, clock=lambda: now))


def escalate_emergencies(settings: Settings, gw: FhirGateway, database: Database, role: str,
                         now: datetime) -> EmergencyRun:
    """Page every emergency due (see the module), once each, then close the automatic pages of calls
    answered since; `role` is calls.toml's emergency_role."""
    due = due_emergencies(database, settings, now)
    if not due:
        return EmergencyRun(closed=close_answered(settings, database, now))
    try:
        assigned = bed_nurses(gw, WHITEBOARD_FILE.read(settings), sorted({c.bed_ref for c in due}), now)
        no_assignments = "no nurse is assigned to the bed on the whiteboard"
    except FhirError as e:
        assigned, no_assignments = {}, f"the whiteboard's assignments could not be read ({e.message})"
    on_call = paging.on_call_file(settings).role(role) if role else None
    paged = nobody = waiting = 0
    for call in due:
        if not _still_due(database, call.id):
            continue
        try:
            patient, encounter = occupant(gw, call.bed_ref)
        except FhirError:  # the page matters more than its record: it goes without the patient's reference
            patient, encounter = None, None
        common = {"key": page_key(call.id), "urgency": URGENCY, "text": call.call_reason.label,
                  "source": "call-light", "now": now, "patient_ref": patient, "encounter_ref": encounter}
        notes: list[str] = []
        found: paging.RolePage | None = None
        to = who = ""
        retry = False
        nurse = next((a for a in assigned.get(call.bed_ref, []) if a.role == "nurse"), None)
        if nurse is not None:
            found, to = paging.page_person(settings, gw, database, ref=nurse.person, room=call.bed_name, **common), \
                nurse.person
            retry = found.retry
            if not found.paged:
                notes.append(f"{nurse.name} {found.words.rstrip('.')}")
        else:
            notes.append(no_assignments)
        if found is None or not found.paged:
            if role:
                found, to = paging.page_role(settings, gw, database, role=role, room=call.bed_name, initials="",
                                             template="call-light", **common), f"on call: {role}"
                retry = retry or found.retry
                if found.paged and on_call is not None:
                    who = f"{found.words}, on call as {on_call.name}"
                elif not found.paged:
                    notes.append(found.words.rstrip("."))
            else:
                notes.append("calls.toml names no emergency_role to page instead")
        if found is not None and found.paged:
            words, settled = f"{PAGED}: {who or found.words}" + (f" ({'; '.join(notes)})" if notes else ""), True
            paged += 1
        elif retry:
            words, settled = f"{NOT_YET}: {'; '.join(notes)}; the scheduler tries again", False
            waiting += 1
        else:
            words, settled = f"{NOBODY}: {'; '.join(notes)}.", True
            nobody += 1
        _note(settings, database, call.id, found.page_id if found else None, to, words, settled, now)
    return EmergencyRun(paged, nobody, waiting, close_answered(settings, database, now))


def _note(settings: Settings, database: Database, call_id: int, page_id: int | None, to: str, words: str,
          settled: bool, now: datetime) -> None:
    """What the call's row says, and the page, kept with the call; audited (ids only)."""
    at = utc_naive(now)
    values: dict[str, object] = {"auto_page": words[:500], "auto_paged_at": at if settled else None}
    if page_id is not None:
        values |= {"page_id": page_id, "paged_to": to[:120], "paged_at": at, "auto_page_id": page_id}
    with database.session() as session:
        session.execute(update(CallLight).where(CallLight.id == call_id).values(**values)
                        .execution_options(synchronize_session=False))
        if settled:
            append(session, station=settings.station.id, actor=SYSTEM_ACTOR, action="call-paged",
                   entity=f"CallLight/{call_id}", outcome="success" if page_id is not None else "failure",
                   detail=f"call {call_id}: emergency paged automatically, page {page_id} to {to}"
                   if page_id is not None else f"call {call_id}: emergency, nobody to page automatically")
