"""The bed board's reads: the board, the public board and the detail panels, each in a fixed number
of FHIR requests (the census's four, one more when the census names places on other units, and two
more for a transfer form's beds on other units, or for a scan of a patient who is not on the unit).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kiosk.armband import ScanCode
from kiosk.fhir.census import unit_census
from kiosk.fhir.encounters import ScanMatch, find_open_encounters
from kiosk.fhir.errors import FhirError, FhirNotAllowed
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.locations import available_beds_elsewhere, places_by_reference
from kiosk.nav import MarkSource

from .board import Board, BoardBuilder, PatientSummary, other_places
from .panel import Panel, available_here, bed_panel, encounter_panel, side_list_panel
from .settings import BedSettings


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def load_board(gw: FhirGateway, settings: BedSettings, now: datetime | None = None,
               marks: Sequence[MarkSource] = ()) -> Board:
    """The board; `marks` are other workflows' mark sources (kiosk.nav.add_bed_marks), one call each. A
    source that fails leaves its marks off and says so on the board, never blanks it."""
    census = unit_census(gw)
    elsewhere = other_places(census)
    places = places_by_reference(gw, elsewhere) if elsewhere else {}
    board = BoardBuilder(census, settings, now or utc_now(), places).build()
    if marks:
        beds = replace(board.unit_beds(), census=census)
        for source in marks:
            try:
                found = source(beds)
            except FhirError as e:
                board.mark_problems.append(e.message)
                continue
            for ref, bed_marks in found.items():
                tile = board.tile(ref.removeprefix("Location/"))
                if tile is not None:
                    tile.marks.extend(bed_marks)
    return board


def open_panel(gw: FhirGateway, board: Board, key: str, open_form: str | None = None,
               not_allowed: str | None = None) -> Panel | None:
    """The panel 'bed:<id>', 'encounter:<id>' or 'list:<side list>', with one action's form open.
    `not_allowed` says why the signed-in person may not change beds (their role): such a panel
    offers no action."""
    kind, _, ident = key.partition(":")
    caps = gw.capabilities
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
            except FhirNotAllowed as e:
                panel.elsewhere_note = e.message
    return panel


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
    people = list(board_people(board))
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


def board_people(board: Board) -> Iterator[PatientSummary]:
    """Everyone the board shows: occupants, reserved-for, pending and moving patients."""
    for tile in board.tiles.values():
        if tile.patient:
            yield tile.patient
        yield from tile.reserved_for
    for item in [*board.pending_admissions, *board.transfers_in, *board.transfers_out]:
        yield item.patient

