"""The detail panel as a view object: one bed (and its patient) or one pending patient, the actions
that make sense for it, each with the reason when the FHIR server does not allow it, and the choices
the open action form offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.fhir import codes
from kiosk.fhir.bedboard import BedOption
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.movements import ISOLATION_KINDS, refused_action

from .board import BedTile, Board, PatientSummary, SideItem
from .occupancy import BedState

ACTION_LABELS = {
    "reserve": "Reserve bed",
    "admit": "Admit",
    "transfer": "Transfer",
    "discharge": "Discharge",
    "cleaning-started": "Cleaning started",
    "bed-clean": "Bed is clean",
    "isolate": "Isolate bed",
    "end-isolation": "End isolation",
    "block": "Block bed",
    "unblock": "Unblock bed",
}

#: Actions that need a choice first (they open a form); the others are one tap.
FORM_ACTIONS = frozenset({"reserve", "admit", "transfer", "discharge", "block", "unblock", "isolate"})

ACTIONS_BY_STATE: dict[BedState, tuple[str, ...]] = {
    BedState.AVAILABLE: ("admit", "reserve", "isolate", "block"),
    BedState.RESERVED: ("admit",),
    BedState.OCCUPIED: ("transfer", "discharge", "isolate"),
    BedState.ISOLATED: ("transfer", "discharge", "end-isolation"),
    BedState.HOUSEKEEPING: ("cleaning-started", "bed-clean", "block"),
    BedState.CLEANING: ("bed-clean", "block"),
    BedState.CONTAMINATED: ("cleaning-started", "bed-clean", "block"),
    BedState.CLOSED: ("unblock",),
    BedState.UNKNOWN: ("bed-clean", "block"),
}


@dataclass(frozen=True)
class ActionButton:
    action: str
    label: str
    refused: str | None  # why the FHIR server will not allow it, shown instead of failing on click
    opens_form: bool
    danger: bool = False


@dataclass(frozen=True)
class Notice:
    kind: str  # ok | error | conflict
    title: str
    text: str


@dataclass
class Panel:
    """What the panel shows. `chosen` keeps what the user picked when a form comes back."""

    key: str  # 'bed:<id>' or 'encounter:<id>': which panel to draw again after an action
    unit_name: str
    tile: BedTile | None
    patient: PatientSummary | None
    where: str | None
    actions: list[ActionButton]
    open: str | None = None
    chosen: dict[str, str] = field(default_factory=dict)
    candidates: list[PatientSummary] = field(default_factory=list)
    beds_here: list[BedTile] = field(default_factory=list)
    beds_elsewhere: list[BedOption] = field(default_factory=list)
    notice: Notice | None = None
    errors: dict[str, str] = field(default_factory=dict)
    labels_url: str | None = None

    @property
    def seen(self) -> str:
        """The versions of everything this panel shows, sent back with each action: a resource that
        moved on since is 'changed at another station'."""
        found: dict[str, str] = {}
        tiles = [t for t in [self.tile, *self.beds_here] if t is not None]
        for tile in tiles:
            if tile.version:
                found[tile.ref] = tile.version
            if tile.cleaning_task and tile.cleaning_task.version:
                found[f"Task/{tile.cleaning_task.id}"] = tile.cleaning_task.version
        people = [p for p in [self.patient, *self.candidates] if p is not None]
        if self.tile is not None:
            people += [p for p in [self.tile.patient, *self.tile.reserved_for] if p is not None]
        for person in people:
            if person.encounter_version:
                found[f"Encounter/{person.encounter_id}"] = person.encounter_version
        for option in self.beds_elsewhere:
            if option.bed.version:
                found[option.bed.reference] = option.bed.version
        return " ".join(f"{ref}@{version}" for ref, version in sorted(found.items()))

    @property
    def dispositions(self) -> list[tuple[str, str]]:
        return list(codes.DISCHARGE_DISPOSITIONS.items())

    @property
    def isolation_kinds(self) -> list[tuple[str, str]]:
        return list(ISOLATION_KINDS.items())

    def action(self, name: str) -> ActionButton | None:
        return next((a for a in self.actions if a.action == name), None)


def parse_seen(text: str) -> dict[str, str]:
    """'Location/1@3 Encounter/9@2' -> {'Location/1': '3', 'Encounter/9': '2'}; junk is ignored."""
    seen: dict[str, str] = {}
    for part in (text or "").split():
        ref, _, version = part.rpartition("@")
        if ref.count("/") == 1 and version:
            seen[ref] = version
    return seen


def _buttons(names: tuple[str, ...], caps: Capabilities, not_allowed: str | None) -> list[ActionButton]:
    return [ActionButton(action=n, label=ACTION_LABELS[n], refused=refused_action(caps, n) or not_allowed,
                         opens_form=n in FORM_ACTIONS, danger=n in ("discharge", "block"))
            for n in names]


def available_here(board: Board, for_encounter: str | None = None) -> list[BedTile]:
    """Beds of this unit a patient can go to: available, or reserved for this very patient."""
    def free(tile: BedTile) -> bool:
        if tile.patient is not None:
            return False
        if tile.state is BedState.RESERVED:
            return bool(for_encounter) and all(p.encounter_id == for_encounter for p in tile.reserved_for)
        return tile.state is BedState.AVAILABLE

    return [tile for tile in board.tiles.values() if free(tile)]


def bed_panel(board: Board, bed_id: str, caps: Capabilities, not_allowed: str | None = None) -> Panel | None:
    """`not_allowed`: why the signed-in person may not change beds (their role), or None."""
    tile = board.tile(bed_id)
    if tile is None:
        return None
    names = ACTIONS_BY_STATE[tile.state]
    if tile.state is BedState.ISOLATED and tile.patient is None:
        names = ("end-isolation", "block")
    if tile.state is BedState.AVAILABLE and tile.patient is not None:
        names = ()  # the record disagrees with itself: the warning says so, nothing is offered
    if tile.state is BedState.AVAILABLE and not board.pending_admissions:
        names = tuple(n for n in names if n not in ("admit", "reserve"))
    panel = Panel(key=f"bed:{tile.id}", unit_name=board.unit_name, tile=tile, patient=tile.patient,
                  where=tile.name, actions=_buttons(names, caps, not_allowed))
    if tile.state in (BedState.AVAILABLE, BedState.RESERVED):
        reserved_ids = {p.encounter_id for p in tile.reserved_for}
        pending = [item.patient for item in board.pending_admissions]
        panel.candidates = [p for p in pending if p.encounter_id in reserved_ids] or \
            ([] if reserved_ids else pending)
    return panel


def encounter_panel(board: Board, encounter_id: str, caps: Capabilities,
                    not_allowed: str | None = None) -> Panel | None:
    """A pending admission or an incoming transfer (patients in a bed have their bed's panel)."""
    for tile in board.tiles.values():
        if tile.patient and tile.patient.encounter_id == encounter_id:
            return bed_panel(board, tile.id, caps, not_allowed)
    item = _find(board.pending_admissions, encounter_id)
    if item is not None:
        panel = Panel(key=f"encounter:{encounter_id}", unit_name=board.unit_name, tile=None,
                      patient=item.patient, where=item.detail,
                      actions=_buttons(("admit", "reserve"), caps, not_allowed))
        panel.beds_here = available_here(board, encounter_id)
        return panel
    item = _find(board.transfers_in, encounter_id)
    if item is not None:
        panel = Panel(key=f"encounter:{encounter_id}", unit_name=board.unit_name, tile=None,
                      patient=item.patient, where=item.detail, actions=_buttons(("transfer",), caps, not_allowed))
        panel.beds_here = available_here(board, encounter_id)
        return panel
    return None


def _find(items: list[SideItem], encounter_id: str) -> SideItem | None:
    return next((i for i in items if i.patient.encounter_id == encounter_id), None)
