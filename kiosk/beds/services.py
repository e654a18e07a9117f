"""The bed board's reads: the board, the public board and the detail panels, each in a fixed number
of FHIR requests (the census's four, one more when the census names places on other units, and two
more for a transfer form's beds on other units, or for a scan of a patient who is not on the unit).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from kiosk.config import BedSettings
from kiosk.fhir.bedboard import ScanMatch, available_beds_elsewhere, find_open_encounters, location_names
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway

from .board import Board, BoardBuilder, PatientSummary, other_places
from .panel import Panel, available_here, bed_panel, encounter_panel

#: What an armband scan or a typed number may look like: letters, digits, dashes, dots (no spaces).
SCAN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{2,39}$")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def load_board(gw: FhirGateway, settings: BedSettings, now: datetime | None = None) -> Board:
    census = unit_census(gw)
    elsewhere = other_places(census)
    names = location_names(gw, elsewhere) if elsewhere else {}
    return BoardBuilder(census, settings, now or utc_now(), names).build()


def open_panel(gw: FhirGateway, board: Board, key: str, open_form: str | None = None,
               not_allowed: str | None = None) -> Panel | None:
    """The panel 'bed:<id>' or 'encounter:<id>', with one action's form open. `not_allowed` says why
    the signed-in person may not change beds (their role), shown on every action."""
    kind, _, ident = key.partition(":")
    caps = gw.capabilities
    if kind == "bed":
        panel = bed_panel(board, ident, caps, not_allowed)
    elif kind == "encounter":
        panel = encounter_panel(board, ident, caps, not_allowed)
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
            panel.beds_elsewhere = available_beds_elsewhere(gw, board.unit_id,
                                                            for_encounter=f"Encounter/{who}" if who else None)
    return panel


@dataclass(frozen=True)
class ScanResult:
    """Where a scan leads: a panel on this unit, or a sentence saying where the patient is."""

    panel_key: str | None
    message: str | None


def resolve_scan(gw: FhirGateway, board: Board, scanned: str) -> ScanResult:
    """Match a scanned MRN or encounter number against the board first (no request), then the server."""
    value = scanned.strip()
    for person in board_people(board):
        if value in (person.mrn, person.encounter_number):
            return ScanResult(f"encounter:{person.encounter_id}", None)
    matches = find_open_encounters(gw, value)
    if not matches:
        return ScanResult(None, "No patient with an open encounter has that MRN or encounter number.")
    return ScanResult(None, _elsewhere(matches, board.unit_name))


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

