"""Typed records read from FHIR JSON on the hot path (the census), one resource at a time.

Full pydantic validation of every resource costs about 0.2 ms each (see docs/benchmarks.md), more than
the server's own fetch for a whole unit, so the census reads only the elements it shows, defensively.
A resource that cannot be read raises UnreadableResource (message without patient data); callers keep
going and show it as an "unreadable record". Unknown elements (vendor extensions, a stray R5 element)
are ignored, as a tolerant reader should.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from . import codes
from .errors import UnreadableResource
from .refs import ref_key, version_of
from .validation import REQUIRED_CODES

T = TypeVar("T")

#: An R4 resource id: letters, digits, '-' and '.', 1 to 64 characters.
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _coding(concept: Any, system: str | None = None) -> dict[str, Any] | None:
    if not isinstance(concept, dict):
        return None
    for c in concept.get("coding") or []:
        if isinstance(c, dict) and (system is None or c.get("system") == system):
            return c
    return None


def code_of(concept: Any, system: str | None = None) -> str | None:
    c = _coding(concept, system)
    return str(c["code"]) if c and c.get("code") is not None else None


def text_of(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    c = _coding(concept)
    return str(c.get("display") or c.get("code") or "") if c else ""


def identifier_value(resource: dict[str, Any], system: str) -> str | None:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    return None


def parse_datetime(value: Any) -> datetime | None:
    """FHIR dateTime/instant -> aware datetime (date-only values are taken as midnight UTC)."""
    if not value:
        return None
    if not isinstance(value, str):
        raise ValueError("not a dateTime")
    text = value.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("dateTime without a time zone")
    return parsed


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    if len(value) == 4:
        return date(int(value), 1, 1)
    if len(value) == 7:
        return date(int(value[:4]), int(value[5:7]), 1)
    return date.fromisoformat(value[:10])


def _full_date(value: Any) -> date | None:
    """A complete FHIR date, or None for a missing or partial one ("1985", "1985-07")."""
    parsed = parse_date(value)
    return parsed if parsed is not None and len(str(value)) >= 10 else None


_CONTAINERS = (dict, list)


def has_modifier(value: Any) -> bool:
    """Does the resource carry a modifierExtension anywhere (outside `extension` elements)? R4 forbids
    ignoring one the reader does not understand (it may turn the meaning around), so such a record is
    shown for checking in the EHR and offers no action.

    Every census resource is walked whole, so the walk is a loop over a stack rather than recursive
    generators (three times faster: it was the largest part of reading a census). The readers skip it
    only when told `modifier_free`: the resource came in an answer whose text cannot spell one
    (kiosk.fhir.client.may_carry_modifier)."""
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if isinstance(node, dict):
            if node.get("modifierExtension"):
                return True
            for key, child in node.items():
                if isinstance(child, _CONTAINERS) and key != "extension":
                    push(child)
        elif isinstance(node, list):
            for child in node:
                if isinstance(child, _CONTAINERS):
                    push(child)
    return False


def _fail(resource: Any, why: str) -> UnreadableResource:
    if isinstance(resource, dict):
        return UnreadableResource(f"{resource.get('resourceType', 'Resource')}/{resource.get('id', '?')}: {why}")
    return UnreadableResource(f"unreadable resource: {why}")


def _expect(resource: Any, resource_type: str) -> None:
    if not isinstance(resource, dict) or resource.get("resourceType") != resource_type or not resource.get("id"):
        raise _fail(resource, f"not a {resource_type} with an id")


def _check_code(resource: dict[str, Any], element: str, value: Any) -> None:
    allowed = REQUIRED_CODES.get((resource["resourceType"], element))
    if allowed is not None and value not in allowed:
        raise _fail(resource, f"{element} is not an R4 code")


# ---------------------------------------------------------------- locations


@dataclass(frozen=True)
class LocationRecord:
    id: str
    version: str | None
    name: str
    physical_type: str | None
    part_of: str | None
    status: str
    operational_status: str | None
    mode: str | None
    identifier: str | None
    description: str
    modifier: bool = False

    @property
    def reference(self) -> str:
        return f"Location/{self.id}"

    @property
    def in_service(self) -> bool:
        """R4 Location.status: only an active location takes patients (suspended and inactive do not)."""
        return self.status == "active"

    @property
    def is_bed(self) -> bool:
        return self.physical_type == codes.BED

    @property
    def is_room(self) -> bool:
        return self.physical_type == codes.ROOM


def read_location(resource: dict[str, Any], identifier_system: str = "", *, modifier_free: bool = False
                  ) -> LocationRecord:
    _expect(resource, "Location")
    try:
        status = resource.get("status") or "active"
        _check_code(resource, "status", status)
        op = resource.get("operationalStatus")
        op_code = None
        if op is not None:
            if not isinstance(op, dict):
                raise ValueError("operationalStatus is not a Coding")
            op_code = op.get("code")
        return LocationRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            name=str(resource.get("name") or resource["id"]),
            physical_type=code_of(resource.get("physicalType"), codes.LOCATION_PHYSICAL_TYPE)
            or code_of(resource.get("physicalType")),
            part_of=ref_key(resource.get("partOf")),
            status=str(status),
            operational_status=str(op_code) if op_code is not None else None,
            mode=resource.get("mode"),
            identifier=identifier_value(resource, identifier_system) if identifier_system else None,
            description=str(resource.get("description") or ""),
            modifier=not modifier_free and has_modifier(resource),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class PersonName:
    family: str
    given: tuple[str, ...]

    @property
    def last_first(self) -> str:
        """'LAST, First Middle' style without the upper-casing: 'García-López, María José'."""
        given = " ".join(self.given)
        if self.family and given:
            return f"{self.family}, {given}"
        return self.family or given

    @property
    def display(self) -> str:
        return " ".join([*self.given, self.family]).strip()

    @property
    def initials(self) -> str:
        first = self.given[0][:1] if self.given else ""
        last = self.family[:1]
        return f"{first}.{last}." if first and last else (first or last)


def read_name(names: Any) -> PersonName:
    chosen = None
    for n in names or []:
        if isinstance(n, dict) and n.get("use") in (None, "official", "usual"):
            chosen = n
            break
    if chosen is None:
        chosen = next((n for n in names or [] if isinstance(n, dict)), {})
    family = str(chosen.get("family") or "")
    given = tuple(str(g) for g in chosen.get("given") or [] if g)
    if not family and not given and chosen.get("text"):
        family = str(chosen["text"])
    return PersonName(family, given)


@functools.lru_cache(maxsize=4096)
def name_key(name: PersonName) -> tuple[str, str]:
    """Family name and first given initial, without case, accents or punctuation: 'Nguyễn, Mai' and
    'NGUYEN, M.' are the same name to a person reading a board or a label (the "Same name" alert)."""
    def plain(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(ch for ch in decomposed if ch.isalnum())

    return plain(name.family), plain(name.given[0])[:1] if name.given else ""


@dataclass(frozen=True)
class PatientRecord:
    id: str
    name: PersonName
    #: Only a complete date (YYYY-MM-DD): a partial birth date ("1985") is never turned into a day.
    birth_date: date | None
    gender: str | None
    mrn: str | None
    #: The birth date as the server sent it (also when partial), for showing it as it is.
    birth_date_text: str | None = None
    modifier: bool = False

    @property
    def nameless(self) -> bool:
        """No name at all (valid R4): shown as "name not recorded", never as an empty title."""
        return not self.name.family and not self.name.given

    @property
    def birth_date_partial(self) -> bool:
        return self.birth_date is None and bool(self.birth_date_text)

    @property
    def reference(self) -> str:
        return f"Patient/{self.id}"

    def age_on(self, today: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def read_patient(resource: dict[str, Any], mrn_system: str, *, modifier_free: bool = False) -> PatientRecord:
    _expect(resource, "Patient")
    try:
        gender = resource.get("gender")
        _check_code(resource, "gender", gender if gender is not None else "unknown")
        return PatientRecord(
            id=str(resource["id"]),
            name=read_name(resource.get("name")),
            birth_date=_full_date(resource.get("birthDate")),
            gender=gender,
            mrn=identifier_value(resource, mrn_system),
            birth_date_text=str(resource["birthDate"]) if resource.get("birthDate") else None,
            modifier=not modifier_free and has_modifier(resource),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


@dataclass(frozen=True)
class PractitionerRecord:
    id: str
    name: PersonName

    @property
    def reference(self) -> str:
        return f"Practitioner/{self.id}"


def read_practitioner(resource: dict[str, Any]) -> PractitionerRecord:
    _expect(resource, "Practitioner")
    try:
        return PractitionerRecord(id=str(resource["id"]), name=read_name(resource.get("name")))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


# ---------------------------------------------------------------- encounters


@dataclass(frozen=True)
class EncounterLocation:
    location: str  # 'Location/<id>'
    status: str | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Participant:
    individual: str
    type_code: str | None


@dataclass(frozen=True)
class EncounterRecord:
    id: str
    version: str | None
    status: str
    class_code: str | None
    patient: str | None
    number: str | None
    start: datetime | None
    end: datetime | None
    planned_end: date | None
    locations: tuple[EncounterLocation, ...]
    participants: tuple[Participant, ...]
    discharge_disposition: str | None
    #: Location entries that name no Location the kiosk can place: display-only or contained ('#home').
    unplaced: tuple[str, ...] = ()
    #: period.start was a date without a time ("2026-11-25"): never shown as midnight.
    start_is_date: bool = False
    modifier: bool = False

    @property
    def reference(self) -> str:
        return f"Encounter/{self.id}"

    def locations_with(self, *statuses: str) -> list[EncounterLocation]:
        return [loc for loc in self.locations if loc.status in statuses]

    def participant(self, type_code: str) -> str | None:
        return next((p.individual for p in self.participants if p.type_code == type_code), None)


def _planned_end(resource: dict[str, Any]) -> date | None:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == codes.PLANNED_END_EXTENSION:
            return parse_date(ext.get("valueDate") or ext.get("valueDateTime"))
    return None


def _unplaced_name(ref: Any, resource: dict[str, Any]) -> str:
    """What a location entry without a literal reference says: its display, or a contained Location's name."""
    if not isinstance(ref, dict):
        raise ValueError("location entry without a location")
    target = ref.get("reference")
    if isinstance(target, str) and target.startswith("#"):
        for contained in resource.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id") == target[1:]:
                return str(contained.get("name") or ref.get("display") or "a place described in the record")
    if ref.get("display"):
        return str(ref["display"])
    raise ValueError("location entry with neither a reference nor a display")


def read_encounter(resource: dict[str, Any], number_system: str, *, modifier_free: bool = False) -> EncounterRecord:
    _expect(resource, "Encounter")
    try:
        status = resource.get("status")
        _check_code(resource, "status", status)
        locations = []
        allowed_loc = REQUIRED_CODES[("Encounter.location", "status")]
        unplaced: list[str] = []
        for entry in resource.get("location") or []:
            key = ref_key(entry.get("location"))
            if key is None:
                unplaced.append(_unplaced_name(entry.get("location"), resource))
                continue
            loc_status = entry.get("status")
            if loc_status is not None and loc_status not in allowed_loc:
                raise _fail(resource, "location.status is not an R4 code")
            period = entry.get("period") or {}
            locations.append(EncounterLocation(key, loc_status, parse_datetime(period.get("start")),
                                               parse_datetime(period.get("end"))))
        participants = []
        for p in resource.get("participant") or []:
            key = ref_key(p.get("individual"))
            if key:
                type_code = None
                for t in p.get("type") or []:
                    type_code = code_of(t, codes.V3_PARTICIPATION_TYPE) or type_code
                participants.append(Participant(key, type_code))
        klass = resource.get("class")
        period = resource.get("period") or {}
        hospitalization = resource.get("hospitalization") or {}
        return EncounterRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(status),
            class_code=klass.get("code") if isinstance(klass, dict) else None,
            patient=ref_key(resource.get("subject")),
            number=identifier_value(resource, number_system),
            start=parse_datetime(period.get("start")),
            end=parse_datetime(period.get("end")),
            planned_end=_planned_end(resource),
            locations=tuple(locations),
            participants=tuple(participants),
            discharge_disposition=code_of(hospitalization.get("dischargeDisposition")),
            unplaced=tuple(unplaced),
            start_is_date=isinstance(period.get("start"), str) and len(period["start"]) == 10,
            modifier=not modifier_free and has_modifier(resource),
        )
    except UnreadableResource:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


# ---------------------------------------------------------------- flags


@dataclass(frozen=True)
class FlagRecord:
    id: str
    patient: str | None
    category: str | None
    code: str | None
    text: str
    version: str | None = None
    modifier: bool = False

    @property
    def reference(self) -> str:
        return f"Flag/{self.id}"


def read_flag(resource: dict[str, Any], *, modifier_free: bool = False) -> FlagRecord:
    _expect(resource, "Flag")
    try:
        category = None
        for c in resource.get("category") or []:
            category = code_of(c, codes.FLAG_CATEGORY) or category
        return FlagRecord(
            id=str(resource["id"]),
            patient=ref_key(resource.get("subject")),
            category=category,
            code=code_of(resource.get("code")),
            text=text_of(resource.get("code")),
            version=version_of(resource),
            modifier=not modifier_free and has_modifier(resource),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskRecord:
    id: str
    version: str | None
    status: str
    code: str | None
    focus: str | None
    authored_on: datetime | None
    last_modified: datetime | None
    business_status: str | None
    owner: str | None
    modifier: bool = False
    #: R4 request-priority (routine, urgent, asap, stat).
    priority: str | None = None
    #: The name of who took the job (the owner reference's display).
    owner_name: str | None = None
    #: Coded inputs: (input type code, value code), for the kinds of job that carry one (a clean's type).
    inputs: tuple[tuple[str, str], ...] = ()
    started: datetime | None = None
    ended: datetime | None = None

    def input_code(self, kind: str) -> str | None:
        return next((value for key, value in self.inputs if key == kind), None)


def _coded_inputs(resource: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in resource.get("input") or []:
        if isinstance(entry, dict):
            key, value = code_of(entry.get("type")), code_of(entry.get("valueCodeableConcept"))
            if key and value:
                found.append((key, value))
    return tuple(found)


def read_task(resource: dict[str, Any], *, modifier_free: bool = False) -> TaskRecord:
    _expect(resource, "Task")
    try:
        status = resource.get("status")
        _check_code(resource, "status", status)
        return TaskRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(status),
            code=code_of(resource.get("code")),
            focus=ref_key(resource.get("focus")),
            authored_on=parse_datetime(resource.get("authoredOn")),
            last_modified=parse_datetime(resource.get("lastModified")),
            business_status=text_of(resource.get("businessStatus")) or None,
            owner=ref_key(resource.get("owner")),
            modifier=not modifier_free and has_modifier(resource),
            priority=resource.get("priority"),
            owner_name=(resource.get("owner") or {}).get("display"),
            inputs=_coded_inputs(resource),
            started=parse_datetime((resource.get("executionPeriod") or {}).get("start")),
            ended=parse_datetime((resource.get("executionPeriod") or {}).get("end")),
        )
    except UnreadableResource:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _fail(resource, type(e).__name__) from None


@dataclass
class ReadOutcome(Generic[T]):
    """Records read from a list of resources, plus the ids of those that could not be read."""

    records: list[T] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    #: The resources that could not be read, as received (to place them on their bed or row).
    failed: list[Any] = field(default_factory=list)


def places_of(resource: Any) -> list[str]:
    """Best effort, for a resource that could not be read: the Locations it names (an Encounter's
    location entries, a Task's focus), so that the board can show "unreadable record" on that bed."""
    if not isinstance(resource, dict):
        return []
    refs: list[Any] = []
    if resource.get("resourceType") == "Encounter" and isinstance(resource.get("location"), list):
        refs = [entry.get("location") for entry in resource["location"] if isinstance(entry, dict)]
    elif resource.get("resourceType") == "Task":
        refs = [resource.get("focus")]
    keys = [ref_key(r) for r in refs]
    return [k for k in keys if k and k.startswith("Location/")]


#: Records already read, by what the reader was given (`memo`) and what names a resource's content on a
#: versioning server: type, id, meta.versionId and meta.lastUpdated (kept per process, at most READ_KEPT).
_read_before: dict[tuple[Any, ...], Any] = {}
READ_KEPT = 20_000


def _content_key(resource: Any, memo: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What names this resource's content: None when the server gave no version and time of change."""
    if not isinstance(resource, dict):
        return None
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return None
    version, changed = meta.get("versionId"), meta.get("lastUpdated")
    if not isinstance(version, str) or not isinstance(changed, str) or not version or not changed:
        return None
    return (*memo, resource.get("resourceType"), resource.get("id"), version, changed)


def read_all(resources: Iterable[dict[str, Any]], reader: Any, memo: tuple[Any, ...] | None = None
             ) -> ReadOutcome[T]:
    """Each resource read by `reader`; those that cannot be read listed, never raised.

    With `memo` (the reader's name and every setting it reads with), a resource read before in the same
    version (its type, id, meta.versionId and meta.lastUpdated) gives the record read then: the census is
    read again after every change on the unit, and almost all of it comes back unchanged. Records are
    frozen; a version of a resource never changes (FHIR R4 3.1.0.1.7). A resource without both meta
    elements is read every time."""
    out: ReadOutcome[T] = ReadOutcome()
    for resource in resources:
        key = _content_key(resource, memo) if memo is not None else None
        if key is not None:
            record = _read_before.get(key)
            if record is not None:
                out.records.append(record)
                continue
        try:
            record = reader(resource)
            out.records.append(record)
            if key is not None:
                if len(_read_before) >= READ_KEPT:
                    _read_before.clear()
                _read_before[key] = record
        except UnreadableResource:
            out.failed.append(resource)
            if isinstance(resource, dict):
                out.unreadable.append(f"{resource.get('resourceType')}/{resource.get('id')}")
            else:
                out.unreadable.append("?")
    return out
