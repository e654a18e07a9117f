"""The detail panel as a view object: one bed (and its patient) or one pending patient, the actions
that make sense for it, each with the reason when the FHIR server does not allow it, and the choices
the open action form offers. A person whose role may not change beds gets one notice instead of the
actions. A side list too long for the board opens whole in the panel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from kiosk.fhir import codes
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import Seen
from kiosk.fhir.locations import BedOption
from kiosk.fhir.movements import ISOLATION_KINDS
from kiosk.nav import Link, MoveOffer
from kiosk.timeutil import today
from kiosk.web import Notice

from .actions import BED_ACTIONS
from .board import SIDE_LISTS, BedTile, Board, PatientSummary, SideItem
from .occupancy import BedState

#: The usual reasons to block a bed, offered as choices (with "Other" and a text field).
BLOCK_REASONS = ("Bed broken, biomed called", "Awaiting maintenance", "Room out of service", "Not staffed")
OTHER_REASON = "other"

@dataclass(frozen=True)
class ActionButton:
    action: str
    label: str
    refused: str | None  # why the FHIR server will not allow it, shown instead of failing on click
    opens_form: bool
    danger: bool = False


@dataclass
class Panel:
    """What the panel shows. `chosen` keeps what the user picked when a form comes back; `errors`
    holds the server's message for a field (the forms are novalidate: no browser bubbles)."""

    key: str  # 'bed:<id>' or 'encounter:<id>': which panel to draw again after an action
    unit_name: str
    tile: BedTile | None
    patient: PatientSummary | None
    where: str | None
    actions: list[ActionButton]
    open: str | None = None
    chosen: dict[str, str] = field(default_factory=dict)
    #: Pending admissions a bed can take, those with no bed yet first.
    candidates: list[SideItem] = field(default_factory=list)
    beds_here: list[BedTile] = field(default_factory=list)
    beds_elsewhere: list[BedOption] = field(default_factory=list)
    #: Why beds on other units are not listed (the server does not offer the search), if so.
    elsewhere_note: str | None = None
    #: Other units with no free bed (a transfer form says so rather than leaving them out silently).
    units_full: list[str] = field(default_factory=list)
    notice: Notice | None = None
    errors: dict[str, str] = field(default_factory=dict)
    #: Links other workflows registered for a patient's panel (kiosk.nav.PatientLink).
    links: list[Link] = field(default_factory=list)
    #: Why this person may not change beds (their role): the panel then offers no action.
    role_notice: str | None = None
    #: Links registered for a new bed chosen for the patient (kiosk.nav, 'transfer'): to the bed a transfer
    #: is planned to (ready to follow), and the labels of those the transfer form offers for the bed chosen
    #: there (followed through beds.transfer_link, which adds the bed).
    transfer_links: list[Link] = field(default_factory=list)
    transfer_link_labels: list[str] = field(default_factory=list)
    #: Links registered for the discharge form (kiosk.nav, 'discharge').
    discharge_links: list[Link] = field(default_factory=list)
    #: Moves into a new bed other workflows offer (kiosk.nav.MoveOffer), each one tap, with the reason a
    #: bed cannot take the patient now (then no button).
    moves: list[tuple[MoveOffer, str | None]] = field(default_factory=list)

    @property
    def hands_off(self) -> str | None:
        """Why nothing may be done to this bed here (its tile says so too)."""
        return self.tile.hands_off if self.tile is not None else None
    #: Versions of what the panel shows besides its tiles and people (an incoming patient's bed elsewhere).
    extra_seen: dict[str, str] = field(default_factory=dict)
    #: One per panel drawn, sent back with an action: a Task it creates is identified by it, so a double
    #: tap of the same form creates it once.
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def seen(self) -> str:
        """The versions of everything this panel shows, sent back with each action and used as the
        If-Match of what the action writes: a resource that moved on since is 'changed at another
        station', and one the panel did not show is not written."""
        found: dict[str, str] = dict(self.extra_seen)
        tiles = [t for t in [self.tile, *self.beds_here] if t is not None]
        for tile in tiles:
            if tile.version:
                found[tile.ref] = tile.version
            for task in tile.cleaning_tasks:
                if task.version:
                    found[f"Task/{task.id}"] = task.version
        people = [p for p in [self.patient, *(c.patient for c in self.candidates)] if p is not None]
        if self.tile is not None:
            people += [p for p in [self.tile.patient, *self.tile.reserved_for] if p is not None]
        for person in people:
            if person.encounter_version:
                found[f"Encounter/{person.encounter_id}"] = person.encounter_version
            for flag in person.flags:
                if flag.ref and flag.version:
                    found[flag.ref] = flag.version
        for option in self.beds_elsewhere:
            if option.bed.version:
                found[option.bed.reference] = option.bed.version
        return Seen(found).text()

    @property
    def title(self) -> str:
        """The patient, or for an empty bed the bed itself (its state is on the line below)."""
        if self.patient is not None:
            return self.patient.name
        return f"Bed {self.tile.name}" if self.tile is not None else self.unit_name

    @property
    def kicker(self) -> str:
        if self.tile is None:
            return self.unit_name
        if self.patient is None:
            return self.tile.room or self.unit_name
        return f"Bed {self.tile.name}" + (f" · {self.tile.room}" if self.tile.room else "")

    @property
    def block_reasons(self) -> tuple[str, ...]:
        return BLOCK_REASONS

    @property
    def dispositions(self) -> list[tuple[str, str]]:
        return list(codes.DISCHARGE_DISPOSITIONS.items())

    @property
    def discharge_days(self) -> list[tuple[str, str]]:
        """The expected discharge days offered with one tap: today and the next three days."""
        first = today()
        days = [first + timedelta(days=n) for n in range(4)]
        words = ["Today", "Tomorrow"]
        return [(d.isoformat(), (words[i] + f" · {d:%a %d %b}") if i < 2 else f"{d:%a %d %b}")
                for i, d in enumerate(days)]

    @property
    def isolation_kinds(self) -> list[tuple[str, str]]:
        return list(ISOLATION_KINDS.items())

    def action(self, name: str) -> ActionButton | None:
        return next((a for a in self.actions if a.action == name), None)


@dataclass(frozen=True)
class ListPanel:
    """A side list in full (the board shows what fits, then "+n more")."""

    key: str
    title: str
    empty: str
    items: list[SideItem]
    detail: str | None = None


def _buttons(names: tuple[str, ...], caps: Capabilities) -> list[ActionButton]:
    """The actions, each with the reason when the server's statement does not allow it."""
    return [ActionButton(action=n, label=BED_ACTIONS[n].label, refused=BED_ACTIONS[n].needs.refused(caps),
                         opens_form=BED_ACTIONS[n].opens_form, danger=BED_ACTIONS[n].danger)
            for n in names]


def _offer(panel: Panel, names: tuple[str, ...], caps: Capabilities, not_allowed: str | None) -> Panel:
    """A person whose role may not change beds gets one calm notice and no buttons at all."""
    if not_allowed:
        panel.role_notice = not_allowed if names else None
        panel.actions = []
    else:
        panel.actions = _buttons(names, caps)
    return panel


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
    names = BED_ACTIONS.for_state(tile.state)
    if tile.state is BedState.ISOLATED and tile.patient is None:
        names = ("end-isolation", "block")
    if tile.state is BedState.AVAILABLE and tile.patient is not None:
        names = ()  # the record disagrees with itself: the warning says so, nothing is offered
    if tile.state is BedState.AVAILABLE and not board.pending_admissions:
        names = tuple(n for n in names if n not in ("admit", "reserve"))
    if tile.hands_off:
        names = ()  # out of service on the server, or a record to check in the EHR: the panel says why
    panel = _offer(Panel(key=f"bed:{tile.id}", unit_name=board.unit_name, tile=tile, patient=tile.patient,
                         where=tile.name, actions=[]), names, caps, not_allowed)
    if tile.state in (BedState.AVAILABLE, BedState.RESERVED):
        reserved_ids = {p.encounter_id for p in tile.reserved_for}
        pending = board.pending_admissions
        mine = [item for item in pending if item.patient.encounter_id in reserved_ids]
        # Patients with no bed yet first; those with a bed elsewhere say which.
        panel.candidates = mine or ([] if reserved_ids else sorted(pending, key=lambda i: i.reserved_bed is not None))
    return panel


def encounter_panel(board: Board, encounter_id: str, caps: Capabilities,
                    not_allowed: str | None = None) -> Panel | None:
    """A pending admission or an incoming transfer (patients in a bed have their bed's panel)."""
    for tile in board.tiles.values():
        if tile.patient and tile.patient.encounter_id == encounter_id:
            return bed_panel(board, tile.id, caps, not_allowed)
    item = _find(board.pending_admissions, encounter_id)
    if item is not None:
        panel = _offer(Panel(key=f"encounter:{encounter_id}", unit_name=board.unit_name, tile=None,
                             patient=item.patient, where=item.detail, actions=[]), ("admit", "reserve"), caps,
                       not_allowed)
        panel.beds_here = available_here(board, encounter_id)
        return panel
    item = _find(board.transfers_in, encounter_id)
    if item is not None:
        panel = _offer(Panel(key=f"encounter:{encounter_id}", unit_name=board.unit_name, tile=None,
                             patient=item.patient, where=item.detail, actions=[]), ("transfer",), caps, not_allowed)
        panel.beds_here = available_here(board, encounter_id)
        if item.from_ref and item.from_version:
            panel.extra_seen[item.from_ref] = item.from_version
        return panel
    return None


def side_list_panel(board: Board, key: str) -> ListPanel | None:
    """One side list in full, or None for a list that does not exist."""
    found = next(((title, empty) for k, title, empty in SIDE_LISTS if k == key), None)
    if found is None:
        return None
    detail = board.counts.discharges_line if key == "discharges" else None
    return ListPanel(key=f"list:{key}", title=found[0], empty=found[1], items=board.side_list(key), detail=detail)


def _find(items: list[SideItem], encounter_id: str) -> SideItem | None:
    return next((i for i in items if i.patient.encounter_id == encounter_id), None)
