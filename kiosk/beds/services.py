"""The bed board's reads: the board, the public board and the detail panels, each in a fixed number
of FHIR requests (the census's four, one more when the census names places on other units, three more
for a transfer form's beds on other units and the units with none free, two for a scan of a patient who
is not on the unit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from kiosk import timeutil
from kiosk.armband import ScanCode
from kiosk.census import CensusStore
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.encounters import ScanMatch, find_open_encounters
from kiosk.fhir.errors import FhirError, FhirNotAllowed
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.locations import (
    BedOption,
    available_beds_elsewhere,
    places_by_reference,
    units_without_free_beds,
)
from kiosk.fhir.patients import NAME_MATCHES, NameQuery, find_open_encounters_by_name
from kiosk.fhir.records import LocationRecord, PatientRecord
from kiosk.nav import BedMark, MarkSource, MoveOffer

from .actions import bed_problem
from .board import Board, BoardBuilder, PatientSummary, RoomGroup, other_places
from .panel import Panel, available_here, bed_panel, encounter_panel, side_list_panel
from .settings import BedSettings

#: What a board drawn while the server cannot be reached offers (nothing: its panels are read-only, and
#: the server's statement may not have been read since the kiosk started).
NO_CAPABILITIES = Capabilities.from_statement({"resourceType": "CapabilityStatement"})


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def load_board(gw: FhirGateway, settings: BedSettings, now: datetime | None = None,
               marks: Sequence[MarkSource] = (), store: CensusStore | None = None) -> Board:
    """The board; `marks` are other workflows' mark sources (kiosk.nav.add_bed_marks), one call each. A
    source that fails leaves its marks off and says so on the board, never blanks it.

    With `store` (the shared census, kiosk.census), the census comes from it, and what is made of one
    version of it (the other units' place names, the board before its marks for the hour, what the mark
    sources read from the FHIR server) is made once per process: a board whose census did not change
    costs no FHIR request, and `board.version` names what it was drawn from."""
    now = now or utc_now()
    if store is None:
        census = unit_census(gw)
        board = BoardBuilder(census, settings, now, _places(gw, census)).build()
        _apply(board, census, marks, None)
        return board
    census = store.census(gw)
    unit, version = census.unit.id, census.version
    hour = timeutil.local(now).strftime("%Y-%m-%d %H")
    places = store.remember(("places", unit, version), lambda: _places(gw, census))
    base = store.remember(("board", unit, version, hour, settings),
                          lambda: BoardBuilder(census, settings, now, places).build())
    # The kept board is shared by every request: `_apply` gives the tiles it marks copies of their own.
    board = replace(base, mark_problems=[])

    def remember(name: str, read: Callable[[], Any]) -> Any:
        return store.remember(("marks", name, unit, version), read)

    found = _apply(board, census, marks, remember)
    drawn = repr(sorted((ref, [(m.kind, m.label, m.urgent, m.detail) for m in got]) for ref, got in found.items()))
    board.version = (version, hour, hashlib.sha256(f"{drawn}{board.mark_problems}".encode()).hexdigest()[:16])
    return board


def _places(gw: FhirGateway, census: Census) -> dict[str, LocationRecord]:
    """The names of the places on other units the census's encounters point to (one request, if any)."""
    elsewhere = other_places(census)
    return places_by_reference(gw, elsewhere) if elsewhere else {}


def _apply(board: Board, census: Census, marks: Sequence[MarkSource],
           remember: Callable[[str, Callable[[], Any]], Any] | None) -> dict[str, list[BedMark]]:
    """Put the sources' marks on the board's tiles; answers every mark put (for the board's version).
    The tiles given marks are replaced by copies (the board's tiles may be shared with other requests:
    a kept board); the others stay as they are."""
    found: dict[str, list[BedMark]] = {}
    if not marks:
        return found
    beds = replace(board.unit_beds(), census=census, remember=remember)
    for source in marks:
        try:
            got = source(beds)
        except FhirError as e:
            board.mark_problems.append(e.message)
            continue
        for ref, bed_marks in got.items():
            if board.tile(ref.removeprefix("Location/")) is not None:
                found.setdefault(ref, []).extend(bed_marks)
    if found:
        tiles = dict(board.tiles)
        for ref, bed_marks in found.items():
            tile = tiles[ref.removeprefix("Location/")]
            tiles[tile.id] = replace(tile, marks=[*tile.marks, *bed_marks])
        board.tiles = tiles
        board.rooms = [RoomGroup(room.name, [tiles[t.id] for t in room.beds]) for room in board.rooms]
    return found


def open_panel(gw: FhirGateway, board: Board, key: str, open_form: str | None = None,
               not_allowed: str | None = None) -> Panel | None:
    """The panel 'bed:<id>', 'encounter:<id>' or 'list:<side list>', with one action's form open.
    `not_allowed` says why the signed-in person may not change beds (their role): such a panel
    offers no action."""
    kind, _, ident = key.partition(":")
    caps = NO_CAPABILITIES if board.downtime is not None else gw.capabilities
    if kind == "bed":
        panel = bed_panel(board, ident, caps, not_allowed)
    elif kind == "encounter":
        panel = encounter_panel(board, ident, caps, not_allowed)
    elif kind == "list":
        return side_list_panel(board, ident)
    else:
        return None
    if panel is None:
        return None
    button = panel.action(open_form or "")
    if button is not None and button.refused is None:
        panel.open = button.action
        if button.action == "transfer":
            who = panel.patient.encounter_id if panel.patient else None
            panel.beds_here = [t for t in available_here(board, who) if panel.tile is None or t.id != panel.tile.id]
            try:
                panel.beds_elsewhere = available_beds_elsewhere(gw, board.unit_id,
                                                                for_encounter=f"Encounter/{who}" if who else None)
                panel.units_full = units_without_free_beds(gw, board.unit_id, panel.beds_elsewhere) or []
            except FhirNotAllowed as e:
                panel.elsewhere_note = e.message
    return panel


def offer_moves(gw: FhirGateway, board: Board, panel: Panel, offers: list[MoveOffer]) -> None:
    """The moves other workflows offer the panel's patient (a transfer's transport delivered to a new bed),
    each one tap: the board's own transfer, sent with the versions this panel shows, the new bed's among
    them. A bed that cannot take the patient now says why instead of offering the tap. A bed on another
    unit is looked up among that unit's free beds (one search, as the transfer form does)."""
    who = panel.patient.encounter_id if panel.patient else None
    here = panel.tile.ref if panel.tile is not None else None
    elsewhere: dict[str, BedOption] | None = None
    for offer in offers:
        if offer.bed == here or who is None:
            continue
        target = board.tile(offer.bed.removeprefix("Location/"))
        if target is not None:
            problem = bed_problem(target, who)
            if target.version:
                panel.extra_seen[target.ref] = target.version
        else:
            if elsewhere is None:
                try:
                    found = available_beds_elsewhere(gw, board.unit_id, for_encounter=f"Encounter/{who}")
                    elsewhere = {o.bed.reference: o for o in found}
                except FhirNotAllowed:
                    elsewhere = {}
            option = elsewhere.get(offer.bed)
            problem = None if option is not None else (f"Bed {offer.bed_name} is not a clean, empty bed now: "
                                                       "choose the bed with Transfer.")
            if option is not None and option.bed.version:
                panel.extra_seen[option.bed.reference] = option.bed.version
        panel.moves.append((offer, problem))


@dataclass(frozen=True)
class ScanResult:
    """Where a scan leads: a panel on this unit, or a sentence saying where the patient is (with the
    records it names, for the audit trail: reading where a patient is is a read of their record)."""

    panel_key: str | None
    message: str | None
    patient: str | None = None
    encounter: str | None = None


def resolve_scan(gw: FhirGateway, board: Board, code: ScanCode) -> ScanResult:
    """Match a scan against the board first (no request), then the server. The armband's Data Matrix
    is matched by its encounter number, then by its MRN."""
    people = [person for person, _where in board_places(board).values()]
    if code.encounter:
        wanted = [("encounter", code.encounter), ("mrn", code.mrn)]
    else:
        wanted = [("encounter", code.text), ("mrn", code.text)]
    for what, value in wanted:
        for person in people:
            if value and value == (person.encounter_number if what == "encounter" else person.mrn):
                return ScanResult(f"encounter:{person.encounter_id}", None)
    try:
        matches = find_open_encounters(gw, number=code.encounter or code.text, mrn=code.mrn or code.text)
    except FhirNotAllowed as e:
        return ScanResult(None, f"{code.shown}: not on {board.unit_name}. {e.message}")
    if not matches:
        return ScanResult(None, f"No patient with an open encounter has the MRN or encounter number {code.shown}.")
    first = matches[0]
    return ScanResult(None, _elsewhere(matches, board.unit_name),
                      patient=first.patient.reference if first.patient else first.encounter.patient,
                      encounter=first.encounter.reference)


def _elsewhere(matches: list[ScanMatch], unit_name: str) -> str:
    first = matches[0]
    name = first.patient.name.last_first if first.patient else "This patient"
    return f"{name} is not on {unit_name}: {first.where()}."



@dataclass(frozen=True)
class Found:
    """A patient found by name or date of birth: what the list shows, the panel it opens (on this unit),
    and the records it names for the audit trail."""

    name: str
    born: str | None
    where: str
    panel_key: str | None
    patient: str | None
    encounter: str

    @property
    def encounter_id(self) -> str:
        return self.encounter.partition("/")[2]


@dataclass(frozen=True)
class NameSearch:
    """Patients found by name: those on this board first, then those on other units; `more` when the
    server had more than the kiosk lists (type more of the name)."""

    here: list[Found]
    elsewhere: list[Found]
    more: bool


def find_by_name(gw: FhirGateway, board: Board, query: NameQuery) -> NameSearch:
    """Open encounters of patients of that name (or date of birth), on this board or elsewhere, in one
    search sent in a POST body. Raises FhirNotAllowed when the server does not offer it.

    Those on this board are all found from the board itself: the server lists a page of matches from the
    whole hospital, and a common name ("JOHNSON, R") on a big hospital fills it with other units'
    patients, which left this unit's own patient out of the list."""
    matches = find_open_encounters_by_name(gw, query)
    on_board = board_places(board)
    here = {encounter_id: _found_here(person, where) for encounter_id, (person, where) in on_board.items()
            if query.matches(person.family, person.given_initial, person.birth_date)}
    elsewhere: list[Found] = []
    for match in matches:
        enc = match.encounter
        if enc.id in on_board:
            if enc.id not in here:  # a record the board could not read a name from
                here[enc.id] = _found(match, panel_key=f"encounter:{enc.id}")
            continue
        if len(elsewhere) < NAME_MATCHES:
            elsewhere.append(_found(match, panel_key=None))
    return NameSearch(sorted(here.values(), key=lambda f: f.name), elsewhere, more=len(matches) > NAME_MATCHES)


def board_places(board: Board) -> dict[str, tuple[PatientSummary, str]]:
    """Everyone the board shows, by encounter id, with where the board has them (a bed, a bed planned,
    or the side list's words)."""
    places: dict[str, tuple[PatientSummary, str]] = {}
    for tile in board.tiles.values():
        if tile.patient:
            places.setdefault(tile.patient.encounter_id, (tile.patient, tile.name))
        for person in tile.reserved_for:
            places.setdefault(person.encounter_id, (person, f"planned for {tile.name}"))
    for item in [*board.pending_admissions, *board.transfers_in, *board.transfers_out]:
        places.setdefault(item.patient.encounter_id, (item.patient, item.detail))
    return places


def _born(birth_date: date | None, as_recorded: str | None) -> str | None:
    return f"{birth_date:%d %b %Y}" if birth_date else as_recorded


def _found_here(person: PatientSummary, where: str) -> Found:
    return Found(name=person.name, born=_born(person.birth_date, person.birth_date_text), where=where,
                 panel_key=f"encounter:{person.encounter_id}", patient=person.patient_ref,
                 encounter=f"Encounter/{person.encounter_id}")


def _found(match: ScanMatch, panel_key: str | None) -> Found:
    enc, person = match.encounter, match.patient
    return Found(
        name=_list_name(person) if person and not person.nameless else "name not recorded",
        born=_born(person.birth_date, person.birth_date_text) if person else None,
        where=match.where(), panel_key=panel_key, patient=person.reference if person else enc.patient,
        encounter=enc.reference)


def _list_name(person: PatientRecord) -> str:
    """'FAMILY, Given Middle', as the board's panels name a patient."""
    given = " ".join(person.name.given)
    family = person.name.family.upper()
    return f"{family}, {given}" if family and given else family or given
