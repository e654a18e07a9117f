"""Telling the unit when a provider disagrees with an order entered for them (the order is revoked).

The FHIR server says which co-signatures were refused (kiosk.fhir.orders.disagreements: cancelled with
the coded reason). Two units are told: the unit the order was entered on (its Task.groupIdentifier), and
the unit its patient is on now, if the patient moved since (found by the unit's patients in the shared
census: their nurse is the one who must not carry it out). The kiosk keeps each one it finds for its unit
(`orders_disagreements`, per co-signature and unit) until someone on that unit marks it seen, whatever its
age: the home screen counts those (no FHIR request), and the
co-signature page lists them with the recent ones (`disagreement_hours`). The marks are the unit's
acknowledgement that the nurse was told, kept by the kiosk: every screen and instance on its database
shares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.orders import (
    CosignRecord,
    OrderRecord,
    OrderSet,
    cosigns_by_id,
    disagreement_words,
    disagreements,
    disagreements_about,
    is_disagreement,
)
from kiosk.fhir.records import PatientRecord

from .models import UnitDisagreement
from .services import orders_systems, unit_group
from .settings import OrdersSettings

#: Seen disagreements are forgotten this long after they left the co-signature page's window.
FORGET_SEEN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class DisagreementRow:
    """An order its provider disagreed with, as the unit is told of it. `cosign` is None when the kiosk
    found it earlier and cannot read its record now (the server is down, or no longer gives it)."""

    task_id: str
    cosign: CosignRecord | None
    order: OrderRecord | None = None
    patient: PatientRecord | None = None
    #: Who on the unit marked it seen and when (None: nobody yet).
    seen_by: str | None = None
    seen_at: datetime | None = None
    #: Entered on another unit (this unit was told because the patient was here when it was found).
    entered_elsewhere: bool = False
    #: Is the patient on this unit now (its census)? None: not known.
    patient_here: bool | None = None

    @property
    def reason(self) -> str:
        return disagreement_words(self.cosign) if self.cosign else ""


@dataclass(frozen=True)
class UnitDisagreements:
    rows: list[DisagreementRow]
    #: Why the server's list could not be read (rows the kiosk kept are still listed), or None.
    problem: str | None = None


@dataclass(frozen=True)
class Kept:
    seen_by: str | None
    seen_at: datetime | None
    found_at: datetime


def remember_found(db: Database, unit_key: str, cosigns: Iterable[CosignRecord], now: datetime) -> None:
    """Keep the disagreements found for the unit (`unit_key`: unit.location of the settings); those kept
    already are left as they are."""
    found = {c.id: c for c in cosigns}
    if not found:
        return
    with db.session() as session:
        kept = set(session.scalars(select(UnitDisagreement.task_id).where(UnitDisagreement.unit_id == unit_key,
                                                                          UnitDisagreement.task_id.in_(found))))
    for task_id in sorted(found.keys() - kept):  # new: one short transaction each (rare)
        try:
            with db.session() as session:
                session.add(UnitDisagreement(task_id=task_id, unit_id=unit_key, patient=found[task_id].patient,
                                             found_at=now))
        except IntegrityError:  # found by another request at the same moment: theirs is kept
            continue


def unseen_count(db: Database, unit_key: str) -> int:
    """The unit's disagreements nobody has marked seen (the home screen's count)."""
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(UnitDisagreement)
                              .where(UnitDisagreement.unit_id == unit_key, UnitDisagreement.seen_by.is_(None))) or 0


def _kept(db: Database, unit_key: str) -> dict[str, Kept]:
    with db.session() as session:
        rows = session.execute(select(UnitDisagreement.task_id, UnitDisagreement.seen_by, UnitDisagreement.seen_at,
                                      UnitDisagreement.found_at).where(UnitDisagreement.unit_id == unit_key)).all()
        return {task_id: Kept(by, at, found) for task_id, by, at, found in rows}


def unit_disagreements(gw: FhirGateway, db: Database, settings: OrdersSettings, unit_key: str,
                       now: datetime, patients_here: Callable[[], list[str]] | None = None) -> UnitDisagreements:
    """The recent disagreements about orders of the unit (one search) and about its patients' orders
    entered on other units (`patients_here`: the unit's patients now, 'Patient/<id>'; one search per
    IDS_PER_SEARCH of them), and every older one nobody marked seen (one search per IDS_PER_SEARCH of them,
    only when there are any): nobody on the unit misses one, however old. Nobody seen first, then newest
    first. Keeps what it finds (`remember_found`), and forgets a kept one the server says is no longer a
    disagreement."""
    sys = orders_systems(gw, settings)
    problem = elsewhere = None
    since = now - timedelta(hours=settings.disagreement_hours)
    unit: tuple[str, str] | None = None
    try:
        unit = unit_group(gw, settings)
        found = disagreements(gw, sys, unit[1], since)
    except FhirError as e:
        found, problem = OrderSet(), e.message
    here: set[str] | None = None
    if patients_here is not None and problem is None:
        try:
            here = set(patients_here())
            found = found.merged(disagreements_about(gw, sys, sorted(here), since))
        except FhirError as e:  # the unit's own are still listed
            here, elsewhere = None, f"Orders of this unit's patients entered on other units: {e.message}"
    remember_found(db, unit_key, found.cosigns, now)
    kept = _kept(db, unit_key)
    listed = {c.id for c in found.cosigns}
    # Read again by id: every one nobody marked seen, and those seen that this unit found within the window
    # but its searches no longer find (its patient left again): a seen one stays listed as long here as on
    # the unit the order was entered on.
    older = sorted(t for t, k in kept.items()
                   if t not in listed and (k.seen_by is None or k.found_at >= since))
    if older and problem is None:
        try:
            earlier = cosigns_by_id(gw, sys, older)
        except FhirError as e:
            problem = e.message
        else:
            # Changed on the server since (no longer a refused co-signature): nothing to tell.
            gone = [c.id for c in earlier.cosigns if not is_disagreement(c, sys)]
            _forget(db, gone)
            older = [t for t in older if t not in gone]
            earlier.cosigns = [c for c in earlier.cosigns if is_disagreement(c, sys)]
            found = found.merged(earlier)
    rows = [DisagreementRow(c.id, c, found.order(c.order), found.patients.get(c.patient or ""),
                            *_seen(kept.get(c.id)), entered_elsewhere=c.group is not None and c.group != unit,
                            patient_here=None if here is None else c.patient in here)
            for c in found.cosigns]
    shown = {r.task_id for r in rows}
    rows += [DisagreementRow(t, None, None, None, *_seen(kept.get(t))) for t in older if t not in shown]
    newest_first = sorted(rows, key=lambda r: -(r.cosign.last_modified.timestamp()
                                                if r.cosign and r.cosign.last_modified else 0.0))
    return UnitDisagreements(sorted(newest_first, key=lambda r: r.seen_by is not None), problem or elsewhere)


def _seen(kept: Kept | None) -> tuple[str | None, datetime | None]:
    return (kept.seen_by, kept.seen_at) if kept is not None else (None, None)


def who_is_told(cosign: CosignRecord, by_patient: bool) -> str:
    """What the provider reads of who learns of their disagreement (`by_patient`: the server lets the unit the
    patient is on now find it, kiosk.fhir.orders.finds_disagreements_by_patient)."""
    now_on = ("the unit the patient is on now is told on its co-signature page and home screen (a unit that uses "
              "this kiosk)")
    if cosign.group is None:
        if by_patient:
            return f"it names no unit it was entered on: {now_on}; if the patient is on no such unit, tell their " \
                   "nurse yourself."
        return "it names no unit, so no unit's screen lists it: tell the patient's nurse yourself."
    if by_patient:
        return f"its unit is told on the co-signature page and the home screen; if the patient has moved, {now_on}."
    return ("its unit is told on the co-signature page and the home screen; if the patient has moved, tell their "
            "nurse yourself.")


def keep_if_ours(db: Database, unit_key: str, unit: tuple[str, str], cosign: CosignRecord, now: datetime) -> None:
    """A disagreement made at this kiosk about an order of its own unit (`unit`: the unit's
    Task.groupIdentifier) is kept at once: its home screen says so before the next search finds it."""
    if cosign.group == unit:
        remember_found(db, unit_key, [cosign], now)


def audit_seen(session: Session, row: UnitDisagreement) -> None:
    """The audit trail's row of a disagreement marked seen (by the signed-in person)."""
    audit.record_in(session, "order-disagreement-seen", patient=row.patient, entity=f"Task/{row.task_id}",
                    entity_label="an order its provider disagreed with")


def mark_seen(db: Database, unit_key: str, task_id: str, by: str, now: datetime,
              audited: Callable[[Session, UnitDisagreement], None] | None = audit_seen) -> bool | None:
    """Record that `by` saw the disagreement, with its audit row (`audited`) in the same transaction.
    True: marked; False: someone had already (their mark stands); None: no such disagreement of this unit."""
    with db.session() as session:
        row = session.get(UnitDisagreement, (task_id, unit_key))
        if row is None:
            return None
        marked = session.execute(update(UnitDisagreement)
                                 .where(UnitDisagreement.task_id == task_id, UnitDisagreement.unit_id == unit_key,
                                        UnitDisagreement.seen_by.is_(None))
                                 .values(seen_by=by, seen_at=now).execution_options(synchronize_session=False)).rowcount
        if marked == 0:
            return False
        if audited is not None:
            audited(session, row)
        return True


def _forget(db: Database, task_ids: list[str]) -> None:
    if task_ids:
        with db.session() as session:
            session.execute(delete(UnitDisagreement).where(UnitDisagreement.task_id.in_(task_ids)))


def forget_seen(db: Database, settings: OrdersSettings, now: datetime) -> int:
    """Forget the disagreements seen long enough ago that the co-signature page no longer lists them."""
    limit = now - timedelta(hours=settings.disagreement_hours) - FORGET_SEEN_AFTER
    with db.session() as session:
        return session.execute(delete(UnitDisagreement).where(UnitDisagreement.seen_at < limit)
                               .execution_options(synchronize_session=False)).rowcount or 0
