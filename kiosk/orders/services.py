"""Orders' logic: what the order form offers and checks, the read-back sentence, the duplicate check,
the change that enters an order, and the lists, each read in a fixed number of FHIR requests:

- the order form: the encounter with its patient and attending (1), the patient's alerts (1), the
  Practitioners (1) and the unit's providers (1);
- sending an order: the form's reads again (4), the stay's orders for the duplicate check (2), a search
  by the order number (1: a form sent twice answers "Already sent" without writing) and the write (1);
- the patient's orders: the encounter with its patient (1), the alerts (1), the stay's orders and
  co-signatures (2);
- the unit's co-signatures: one search with the orders and patients included (1), one more for the
  orders a provider disagreed with lately (1), and for a provider one more for theirs on other units (1).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kiosk import timeutil
from kiosk.auth import Role, StaffMember
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import Change
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.orders import (
    FULL_NEEDS,
    LOINC,
    ORDER_ONLY_NEEDS,
    OWN_NEEDS,
    SNOMED,
    CosignRecord,
    NewOrder,
    OrderRecord,
    OrderSet,
    Systems,
    awaiting_cosign,
    awaiting_provider,
    order_by_number,
    order_change,
    orders_of_encounter,
    practitioners,
    staff_reference,
    systems,
)
from kiosk.fhir.patient_context import EncounterContext, encounter_context
from kiosk.fhir.records import PatientRecord, PractitionerRecord

from .settings import MODE_PHRASES, OWN_MODES, PRIORITIES, READ_BACK_MODES, SYSTEMS, CatalogItem, OrdersSettings

ORDER_NUMBER = re.compile(r"^OR-[0-9A-F]{10}$")
MAX_TEXT = 200
MAX_DAYS = 14
#: Details asked on the form per category: code -> (label, choices; empty for free text).
DETAILS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "imaging": (("reason", "Reason for the study", ()),
                ("travel", "How the patient travels", ("Walking", "Wheelchair", "Stretcher", "In bed", "Portable"))),
    "diet": (("texture", "Texture", ("Regular", "Soft", "Minced and moist", "Pureed", "Liquidised")),
             ("fluids", "Fluids", ("Thin", "Slightly thick", "Mildly thick", "Moderately thick", "Nothing by mouth"))),
    "consult": (("question", "Question for the consultant", ()),),
}
NEEDED_FOR = {"imaging": "imaging orders", "diet": "diet orders", "consult": "consults"}
STATUS_GROUPS = (("active", "Active"), ("cosign", "Awaiting co-signature"), ("completed", "Completed"),
                 ("cancelled", "Cancelled"))


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_order_number() -> str:
    """Made once per form shown: the identifier that makes a double submit one order."""
    return "OR-" + secrets.token_hex(5).upper()


def accession_for(number: str) -> str:
    """The specimen's accession number, derived from the order number (one specimen per lab order):
    the same on a retry, different for every order."""
    return "A" + number.removeprefix("OR-")


class Refused(Exception):
    """Not sent, nothing written; `field` names the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def orders_systems(gw: FhirGateway, settings: OrdersSettings) -> Systems:
    return systems(gw, settings.order_number_system, settings.accession_system)


# ---------------------------------------------------------------- what the server allows


@dataclass(frozen=True)
class EntryMode:
    """How entering an order works on this server: `needs` declared, `full` (order, record of entry and
    co-signature in one transaction) or the order alone; `refused` says why entry is unavailable."""

    full: bool
    refused: str | None
    note: str | None


def entry_mode(caps: Capabilities, own: bool = False) -> EntryMode:
    if (OWN_NEEDS if own else FULL_NEEDS).refused(caps) is None:
        return EntryMode(True, None, None)
    why = ORDER_ONLY_NEEDS.refused(caps)
    if why is None:
        return EntryMode(False, None, f"{caps.software} takes the order but not the record of who entered it or the "
                                      "co-signature request: the order is sent, who entered it and how are kept in the "
                                      "kiosk's audit trail, and the provider co-signs it in the EHR.")
    return EntryMode(False, f"{why} Orders can be read here but not entered.", None)


# ---------------------------------------------------------------- the order form


@dataclass
class Provider:
    ref: str
    name: str
    why: str = ""  # "Attending", "On this unit"
    full: str = ""  # the whole name, for the picker


@dataclass
class OrderContext:
    patient: PatientRecord
    patient_id: str
    encounter_id: str
    unit_id: str
    providers: list[Provider]
    unreadable: tuple[str, ...] = ()

    def provider(self, ref: str) -> Provider | None:
        return next((p for p in self.providers if p.ref == ref), None)


def _name(record: PractitionerRecord) -> str:
    """'Dr. Iyer': how the read-back names the provider."""
    return f"Dr. {record.name.family or record.name.display}"


def provider_list(context: EncounterContext, people: list[PractitionerRecord], unit: set[str]) -> list[Provider]:
    """The patient's attending first, the unit's providers next, then everyone else by family name."""
    out: list[Provider] = []
    if context.attending is not None:
        out.append(Provider(context.attending.reference, _name(context.attending), "Attending",
                            context.attending.name.display))
    seen = {p.ref for p in out}
    rest = sorted(people, key=lambda r: (r.reference not in unit, (r.name.family or "").casefold()))
    for record in rest:
        if record.reference not in seen:
            out.append(Provider(record.reference, _name(record), "On this unit" if record.reference in unit else "",
                                record.name.display))
            seen.add(record.reference)
    return out


def order_context(gw: FhirGateway, patient_id: str, encounter_id: str, with_providers: bool = True) -> OrderContext:
    """The patient's stay (2 requests) and, for the order form, the providers to pick from (2 more)."""
    context = encounter_context(gw, encounter_id, patient_id)
    unit_id = gw.unit_location_id()
    if not with_providers:
        return OrderContext(context.patient, patient_id, encounter_id, unit_id, [], context.unreadable)
    people, unit = practitioners(gw, unit_id)
    return OrderContext(context.patient, patient_id, encounter_id, unit_id, provider_list(context, people, unit),
                        context.unreadable)


@dataclass(frozen=True)
class OrderChoices:
    number: str
    item: str
    mode: str
    provider: str
    priority: str
    when: str  # now | at | daily
    at: str
    days: str
    reason: str
    note: str
    details: dict[str, str] = field(default_factory=dict)
    read_back: bool = False
    duplicate_reason: str = ""


def _occurrence(choices: OrderChoices, now: datetime) -> tuple[dict[str, Any], str]:
    """The occurrence element and its words for the read-back."""
    if choices.when == "now":
        return {"occurrenceDateTime": now.isoformat().replace("+00:00", "Z")}, "now"
    if choices.when == "at":
        at = timeutil.parse_local(choices.at)
        if at is None:
            raise Refused("Choose the time.", field="at")
        if at < now - timedelta(minutes=5) or at > now + timedelta(days=MAX_DAYS):
            raise Refused(f"Choose a time from now to {MAX_DAYS} days ahead.", field="at")
        return ({"occurrenceDateTime": at.isoformat().replace("+00:00", "Z")},
                "at " + timeutil.local(at).strftime("%d %b %H:%M"))
    if choices.when == "daily":
        try:
            days = int(choices.days)
        except ValueError:
            raise Refused(f"Give the number of days (1 to {MAX_DAYS}).", field="days") from None
        if not 1 <= days <= MAX_DAYS:
            raise Refused(f"Give the number of days (1 to {MAX_DAYS}).", field="days")
        start: date = timeutil.local(now).date()
        end = start + timedelta(days=days - 1)
        timing = {"repeat": {"boundsPeriod": {"start": start.isoformat(), "end": end.isoformat()},
                             "frequency": 1, "period": 1, "periodUnit": "d"}}
        return {"occurrenceTiming": timing}, f"daily for {days} day{'s' if days != 1 else ''}"
    raise Refused("Choose when.", field="when")


def _details(item: CatalogItem, choices: OrderChoices) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if item.category == "lab":
        out += [("specimen", item.specimen), ("container", item.container)]
    if item.category == "consult":
        out.append(("service", item.service))
    for code, label, options in DETAILS.get(item.category, ()):
        value = (choices.details.get(code) or "").strip()
        if not value:
            raise Refused(f"{label}: needed for {NEEDED_FOR[item.category]}.", field=f"d_{code}")
        if options and value not in options:
            raise Refused(f"{label}: choose one of the options.", field=f"d_{code}")
        if len(value) > MAX_TEXT:
            raise Refused(f"{label}: keep it under {MAX_TEXT} characters.", field=f"d_{code}")
        out.append((code, value))
    return tuple(out)


def birth_words(patient: PatientRecord) -> str:
    if patient.birth_date is None:
        return "birth date not recorded"
    return f"born {patient.birth_date.strftime('%d %b %Y').lstrip('0')}"


def read_back_sentence(item: CatalogItem, priority: str, when: str, details: tuple[tuple[str, str], ...],
                       patient: PatientRecord, mode: str, provider: Provider) -> str:
    """The whole order as one sentence: 'CBC with differential, stat, now, blood, lavender top, for
    RAMÍREZ, Sofía, born 12 Mar 1997, MRN 20000031, ordered by telephone by Dr. Iyer'."""
    parts = [item.name, priority, when, *(v[0].lower() + v[1:] if v else v for _, v in details)]
    given = " ".join(patient.name.given)
    name = f"{patient.name.family.upper()}, {given}" if patient.name.family and given else patient.name.last_first
    who = f"{name}, {birth_words(patient)}, MRN {patient.mrn or 'not recorded'}"
    how = f"entered by {provider.name}" if mode in OWN_MODES else f"ordered {MODE_PHRASES[mode]} by {provider.name}"
    return f"{', '.join(p for p in parts if p)}, for {who}, {how}"


def confirmation_words(provider: Provider) -> str:
    return f"Read back to and confirmed by {provider.name}"


@dataclass
class Plan:
    change: Change
    message: str
    sentence: str
    item: CatalogItem
    provider: Provider
    mode: str
    full: bool
    number: str
    accession: str | None
    patient: str
    encounter: str


@dataclass
class Duplicate:
    """The same item already active on the stay within its window."""

    order: OrderRecord


def _item_system(item: CatalogItem, sys: Systems) -> str:
    return {"loinc": LOINC, "snomed": SNOMED}.get(item.system, SYSTEMS.get(item.system) or "") or sys.item


def check(settings: OrdersSettings, ctx: OrderContext, choices: OrderChoices, staff: StaffMember,
          provider_self: str | None, now: datetime) -> tuple[CatalogItem, Provider, tuple[tuple[str, str], ...],
                                                              dict[str, Any], str]:
    """Check the form against what it offered; (item, provider, details, occurrence, read-back sentence)."""
    if not ORDER_NUMBER.match(choices.number):
        raise Refused("This form is not from the kiosk. Open it again.")
    item = settings.catalog.item(choices.item)
    if item is None:
        raise Refused("Choose what to order from the catalog.", field="item")
    allowed = settings.modes_of(staff.role.value)
    if not allowed:
        raise Refused(f"A {staff.role.label} does not enter orders here.")
    if choices.mode not in allowed:
        raise Refused("Choose how the order was given.", field="mode")
    if choices.mode in OWN_MODES:
        if provider_self is None:
            raise Refused("Your account is linked to no Practitioner on the FHIR server, so the kiosk cannot enter "
                          "an order as yours.")
        provider = ctx.provider(provider_self) or Provider(provider_self, staff.display_name)
    else:
        picked = ctx.provider(choices.provider)
        if picked is None:
            raise Refused("Choose the provider who gave the order.", field="provider")
        provider = picked
    priority = choices.priority or item.priority  # nothing chosen: the catalog's default for the item
    if priority not in PRIORITIES:
        raise Refused("Choose the priority.", field="priority")
    for name, value in (("reason", choices.reason), ("note", choices.note)):
        if len(value) > MAX_TEXT:
            raise Refused(f"Keep the {name} under {MAX_TEXT} characters.", field=name)
    details = _details(item, choices)
    occurrence, when = _occurrence(choices, now)
    sentence = read_back_sentence(item, priority, when, details, ctx.patient, choices.mode, provider)
    return item, provider, details, occurrence, sentence


def find_duplicate(gw: FhirGateway, settings: OrdersSettings, ctx: OrderContext, item: CatalogItem,
                   now: datetime) -> Duplicate | None:
    if item.duplicate_hours <= 0:
        return None
    found = orders_of_encounter(gw, orders_systems(gw, settings), ctx.encounter_id, ctx.patient_id)
    since = now - timedelta(hours=item.duplicate_hours)
    for order in found.orders:
        if order.code == item.code and order.status in ("active", "on-hold", "draft") and \
                (order.authored_on is None or order.authored_on >= since):
            return Duplicate(order)
    return None


def plan_order(gw: FhirGateway, settings: OrdersSettings, ctx: OrderContext, choices: OrderChoices,
               staff: StaffMember, provider_self: str | None, now: datetime) -> Plan:
    """The change that enters the order (read-back and duplicate checks are the caller's: they need
    the person's answer)."""
    item, provider, details, occurrence, sentence = check(settings, ctx, choices, staff, provider_self, now)
    own = choices.mode in OWN_MODES
    mode = entry_mode(gw.capabilities, own)
    if mode.refused:
        raise Refused(mode.refused)
    sys = orders_systems(gw, settings)
    accession = accession_for(choices.number) if item.category == "lab" else None
    read_back = f"{confirmation_words(provider)}." if choices.mode in READ_BACK_MODES else ""
    new = NewOrder(
        number=choices.number, patient=ctx.patient.reference, encounter=f"Encounter/{ctx.encounter_id}",
        unit_id=ctx.unit_id, category=item.category, item_system=_item_system(item, sys), item_code=item.code,
        item_name=item.name, priority=choices.priority or item.priority, mode=choices.mode, provider=provider.ref,
        provider_name=provider.name,
        enterer=staff_reference(sys, staff.badge, staff.display_name, staff.practitioner_ref),
        entered_at=now, occurrence=occurrence, reason=choices.reason, note=choices.note, details=details,
        accession=accession, read_back=read_back,
        cosign_due=now + timedelta(hours=settings.cosign_hours), duplicate_reason=choices.duplicate_reason,
    )
    change = order_change(sys, new, cosign=not own, full=mode.full)
    if own:
        message = f"{item.name} is ordered."
    elif mode.full:
        message = (f"{item.name} is ordered. {provider.name} is asked to co-sign it within "
                   f"{settings.cosign_hours} hours.")
    else:
        message = f"{item.name} is ordered. {provider.name} co-signs it in the EHR."
    return Plan(change, message, sentence, item, provider, choices.mode, mode.full, choices.number, accession,
                ctx.patient.reference, f"Encounter/{ctx.encounter_id}")


def already_sent(gw: FhirGateway, settings: OrdersSettings, number: str) -> bool:
    """Was an order with this number sent before (one search)? Asked while the number is held for this
    send (kiosk/orders/sending.py: the two requests of a double tap are sent one after the other), so it
    is enough on a server without If-None-Exist (Epic); where the server has it, the order and its
    co-signature are also created only if none has their identifier."""
    return order_by_number(gw, orders_systems(gw, settings), number) is not None


# ---------------------------------------------------------------- the lists


@dataclass
class OrderRow:
    order: OrderRecord
    cosign: CosignRecord | None
    group: str
    due_state: str = ""  # "", "amber", "red"
    patient: PatientRecord | None = None
    #: Entered on another unit (a provider's own co-signatures are listed wherever they sign in).
    elsewhere: bool = False

    @property
    def seen(self) -> str:
        parts = [f"{self.order.reference}@{self.order.version}"] if self.order.version else []
        if self.cosign and self.cosign.version:
            parts.append(f"{self.cosign.reference}@{self.cosign.version}")
        return " ".join(parts)


def due_state(due: datetime | None, now: datetime, amber_hours: int) -> str:
    if due is None:
        return ""
    if due < now:
        return "red"
    return "amber" if due - now <= timedelta(hours=amber_hours) else ""


def group_of(order: OrderRecord, cosign: CosignRecord | None) -> str:
    if order.status in ("revoked", "entered-in-error"):
        return "cancelled"
    if order.status == "completed":
        return "completed"
    if cosign is not None and cosign.status == "requested":
        return "cosign"
    return "active"


def patient_rows(found: OrderSet, settings: OrdersSettings, now: datetime) -> dict[str, list[OrderRow]]:
    groups: dict[str, list[OrderRow]] = {code: [] for code, _ in STATUS_GROUPS}
    for order in sorted(found.orders, key=lambda o: o.authored_on.timestamp() if o.authored_on else 0.0,
                        reverse=True):
        cosign = found.cosign_of(order.reference)
        group = group_of(order, cosign)
        state = due_state(cosign.due, now, settings.amber_hours) if group == "cosign" and cosign else ""
        groups[group].append(OrderRow(order, cosign, group, state))
    return groups


def unit_rows(found: OrderSet, settings: OrdersSettings, now: datetime, owner: str | None = None,
              unit: tuple[str, str] | None = None) -> list[OrderRow]:
    """Co-signatures waiting on the unit (only `owner`'s when given): today's stat orders first, then by
    due time. `unit`: the unit's Task.groupIdentifier; a co-signature of another one is marked `elsewhere`."""
    rows = []
    today = timeutil.local(now).date()
    for cosign in found.cosigns:
        if owner is not None and cosign.owner != owner:
            continue
        order = found.order(cosign.order)
        if order is None or order.status != "active":
            continue
        rows.append(OrderRow(order, cosign, "cosign", due_state(cosign.due, now, settings.amber_hours),
                             found.patients.get(cosign.patient or ""),
                             elsewhere=unit is not None and cosign.group != unit))

    def key(row: OrderRow) -> tuple[int, float]:
        stat_today = row.order.priority == "stat" and row.order.authored_on is not None and \
            timeutil.local(row.order.authored_on).date() == today
        return (0 if stat_today else 1, row.cosign.due.timestamp() if row.cosign and row.cosign.due else 0.0)

    return sorted(rows, key=key)


def load_unit(gw: FhirGateway, settings: OrdersSettings) -> OrderSet:
    return awaiting_cosign(gw, orders_systems(gw, settings), gw.unit_location_id())


def unit_group(gw: FhirGateway, settings: OrdersSettings) -> tuple[str, str]:
    """The unit's co-signatures' Task.groupIdentifier (system, value)."""
    return orders_systems(gw, settings).unit, gw.unit_location_id()


@dataclass(frozen=True)
class ForSigning:
    found: OrderSet
    #: Why the provider's co-signatures on other units could not be read (the unit's are there), or None.
    elsewhere_problem: str | None = None


def load_for_signing(gw: FhirGateway, settings: OrdersSettings, provider: str | None) -> ForSigning:
    """The unit's co-signatures and, for a provider ('Practitioner/<id>'), theirs entered on other units
    too: a provider signs all of theirs at whichever kiosk they sign in (one search more; none where the
    server does not search Tasks by owner). A failure of that search leaves the unit's list, saying so."""
    found = load_unit(gw, settings)
    if provider is None:
        return ForSigning(found)
    try:
        own = awaiting_provider(gw, orders_systems(gw, settings), provider)
    except FhirError as e:
        return ForSigning(found, e.message)
    return ForSigning(found.merged(own) if own is not None else found)


def load_patient(gw: FhirGateway, settings: OrdersSettings, encounter_id: str, patient_id: str) -> OrderSet:
    return orders_of_encounter(gw, orders_systems(gw, settings), encounter_id, patient_id)


def may_enter(role: Role | None, settings: OrdersSettings) -> bool:
    return role is not None and bool(settings.modes_of(role.value))



def past_due(found: OrderSet, now: datetime) -> tuple[int, int]:
    """(awaiting, past due) co-signatures of active orders."""
    waiting = [c for c in found.cosigns if (o := found.order(c.order)) is not None and o.status == "active"]
    return len(waiting), sum(1 for c in waiting if c.due is not None and c.due < now)
