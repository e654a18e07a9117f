"""What workflows offer each other, registered when each blueprint is registered (one line in its
`register(app)`), so that no workflow imports another's modules:

- `NavItem`: its entry in the top bar and its tile on the home screen;
- `PatientLink`: a link on a patient's panel (the bed board's), to the workflow's page for that
  patient's encounter ("Print armband / labels", "Orders", "Request transport"); `when` says at which
  moment of the panel: always, while a transfer's new bed is chosen, or in the discharge form;
- `add_move_offers`: moves into a new bed the bed board offers in one tap (a transfer's transport
  delivered there);
- `HomePanel`: a fragment on the home screen (its counts or alerts), which refreshes itself;
- `add_bed_marks`: marks on the bed board's tiles (a transport under way, a call light, the room's
  readiness), from one call per board render with what the board knows of each bed (`UnitBeds`);
  the unit whiteboard shows the same marks;
- `add_bed_assignments`: who looks after each bed now (the whiteboard's nurse assignments), for the
  screens that page "the nurse of this bed" (the call lights);
- `PanelSection`: a section of the bed board's panel drawn by another workflow (a patient's care team,
  a bed's readiness), loaded into the panel as an htmx fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app, url_for

if TYPE_CHECKING:
    from kiosk.fhir.census import Census

NAV_KEY = "KIOSK_NAV"
BED_MARKS_KEY = "KIOSK_BED_MARKS"
BED_ASSIGNMENTS_KEY = "KIOSK_BED_ASSIGNMENTS"
PATIENT_LINKS_KEY = "KIOSK_PATIENT_LINKS"
HOME_PANELS_KEY = "KIOSK_HOME_PANELS"
PANEL_SECTIONS_KEY = "KIOSK_PANEL_SECTIONS"
MOVE_OFFERS_KEY = "KIOSK_MOVE_OFFERS"
PATIENT_LINK_MOMENTS = ("patient", "transfer", "discharge")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    description: str
    icon: str  # a name from templates/_icons.html
    order: int = 50
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientLink:
    """A link on a patient's panel. `endpoint` takes `patient_id` and `encounter_id` (ids only: never
    names or MRNs in a URL); `roles` limits who sees it (empty: everyone signed in).

    `when` is the moment of the panel that offers it: 'patient' (a patient's panel), 'transfer' (a new
    bed chosen for the patient, in the transfer form or planned on the encounter: the endpoint also
    takes `destination`, 'Location/<id>' of that bed) or 'discharge' (the discharge form). `args` are
    fixed query arguments of the link (ids and codes only)."""

    endpoint: str
    label: str
    order: int = 50
    roles: tuple[str, ...] = ()
    when: str = "patient"
    args: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.when not in PATIENT_LINK_MOMENTS:
            raise ValueError(f"a patient link is offered at one of {', '.join(PATIENT_LINK_MOMENTS)}")


@dataclass(frozen=True)
class HomePanel:
    """A fragment on the home screen: `endpoint` answers it (and is what the fragment polls to refresh
    itself); the home page renders it in place on first load."""

    endpoint: str
    order: int = 50


@dataclass(frozen=True)
class Link:
    """A patient link ready to show."""

    label: str
    url: str


@dataclass(frozen=True)
class PanelSection:
    """A section of the bed board's panel, answered by `endpoint` as an htmx fragment that the panel
    loads when it opens. `needs` says which panels get it: 'patient' (the endpoint takes `encounter_id`:
    a patient's panel, in a bed or coming in) or 'bed' (it takes `bed_id`: a bed's panel, occupied or
    not). `roles` limits who sees it (empty: everyone signed in)."""

    endpoint: str
    needs: str
    order: int = 50
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.needs not in ("patient", "bed"):
            raise ValueError("a panel section needs 'patient' or 'bed'")


Entry = TypeVar("Entry", NavItem, PatientLink, HomePanel, PanelSection)
T = TypeVar("T")


def _same(a: Entry, b: Entry) -> bool:
    """One registration per endpoint (and, for a patient link, per moment of the panel)."""
    return a.endpoint == b.endpoint and getattr(a, "when", None) == getattr(b, "when", None)


def _add(app: Flask, key: str, entry: Entry) -> None:
    entries: list[Entry] = app.config.setdefault(key, [])
    if not any(_same(e, entry) for e in entries):
        entries.append(entry)
        entries.sort(key=lambda e: (e.order, getattr(e, "label", e.endpoint)))


def add_nav(app: Flask, item: NavItem) -> None:
    _add(app, NAV_KEY, item)


def nav_items(app: Flask) -> list[NavItem]:
    return list(app.config.get(NAV_KEY, []))


def add_patient_link(app: Flask, link: PatientLink) -> None:
    _add(app, PATIENT_LINKS_KEY, link)


def add_home_panel(app: Flask, panel: HomePanel) -> None:
    _add(app, HOME_PANELS_KEY, panel)


def home_panels(app: Flask) -> list[HomePanel]:
    return list(app.config.get(HOME_PANELS_KEY, []))


def patient_links(patient_id: str, encounter_id: str, role: str | None, when: str = "patient",
                  **args: str) -> list[Link]:
    """The links other workflows offer for this patient's encounter at this moment of the panel, for a
    person of `role`; `args` are what the moment adds (a transfer's `destination`)."""
    return [Link(link.label, url_for(link.endpoint, patient_id=patient_id, encounter_id=encounter_id,
                                     **dict(link.args), **args))
            for link in current_app.config.get(PATIENT_LINKS_KEY, [])
            if link.when == when and (not link.roles or role in link.roles)]


def add_panel_section(app: Flask, section: PanelSection) -> None:
    """Register a section; the panel template calls `panel_sections` (a template global)."""
    _add(app, PANEL_SECTIONS_KEY, section)
    app.jinja_env.globals.setdefault("panel_sections", panel_sections)


def panel_sections(bed_id: str | None, encounter_id: str | None, role: str | None) -> list[str]:
    """The addresses of the sections other workflows registered for a panel showing this bed and / or
    this encounter (ids only), for a person of `role`."""
    urls = []
    for section in current_app.config.get(PANEL_SECTIONS_KEY, []):
        if section.roles and role not in section.roles:
            continue
        if section.needs == "patient" and encounter_id:
            urls.append(url_for(section.endpoint, encounter_id=encounter_id))
        elif section.needs == "bed" and bed_id:
            urls.append(url_for(section.endpoint, bed_id=bed_id))
    return urls


@dataclass(frozen=True)
class BedMark:
    """A mark on a bed's tile: `kind` names its look (css `mark-<kind>`), `label` is a few words
    ("Transport", "Call: pain", "Ready 3/5"); `urgent` shows it red; `detail`, a longer text for where
    there is room (the whiteboard's lists: "3 of 5: oxygen, bed"), the label when empty."""

    kind: str
    label: str
    urgent: bool = False
    detail: str = ""

    @property
    def long(self) -> str:
        return self.detail or self.label


@dataclass(frozen=True)
class UnitBeds:
    """What the bed board knows of its unit, for other workflows' marks: each bed ('Location/<id>') with
    its occupant's patient and encounter references (None for an empty bed), and who is coming to it;
    `census`, the census the board was drawn from (beds with their status, encounters, patients, alerts,
    cleaning jobs), so that a source needs no FHIR request of its own for what the board already read."""

    unit_id: str
    occupants: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    incoming: dict[str, list[str]] = field(default_factory=dict)
    census: Census | None = None
    #: Keeps what a source read from the FHIR server for this version of the shared census (kiosk.census):
    #: `remember(name, read)` answers `read()` once per census version and process. None: read every time.
    remember: Callable[[str, Callable[[], Any]], Any] | None = None

    def kept(self, name: str, read: Callable[[], T]) -> T:
        """`read()`, or what it answered for this census version (a source that reads the FHIR server
        costs a request per change of the unit, not per render)."""
        return read() if self.remember is None else self.remember(name, read)


#: A workflow's marks for a unit: 'Location/<id>' -> marks. At most one small request or query per call.
MarkSource = Callable[[UnitBeds], dict[str, list[BedMark]]]


def add_bed_marks(app: Flask, source: MarkSource) -> None:
    """A source that reads the FHIR server reads through `UnitBeds.kept`, so that a board whose census
    did not change costs no FHIR request."""
    sources: list[MarkSource] = app.config.setdefault(BED_MARKS_KEY, [])
    if source not in sources:
        sources.append(source)


def bed_mark_sources(app: Flask) -> list[MarkSource]:
    return list(app.config.get(BED_MARKS_KEY, []))


@dataclass(frozen=True)
class BedAssignment:
    """Who looks after a bed now: `person` is 'PractitionerRole/<id>' or 'Practitioner/<id>'."""

    person: str
    name: str
    role: str = "nurse"


#: Who looks after each of these beds ('Location/<id>' -> assignments, the first to page first). At most one
#: small request or query per call; a bed nobody is assigned to is left out.
AssignmentSource = Callable[[list[str]], dict[str, list[BedAssignment]]]


def add_bed_assignments(app: Flask, source: AssignmentSource) -> None:
    sources: list[AssignmentSource] = app.config.setdefault(BED_ASSIGNMENTS_KEY, [])
    if source not in sources:
        sources.append(source)


def bed_assignments(app: Flask, beds: list[str]) -> dict[str, list[BedAssignment]]:
    """Every registered source's assignments for these beds, merged in registration order."""
    found: dict[str, list[BedAssignment]] = {}
    for source in app.config.get(BED_ASSIGNMENTS_KEY, []):
        for bed, people in source(beds).items():
            found.setdefault(bed, []).extend(people)
    return found


@dataclass(frozen=True)
class MoveOffer:
    """A move the bed board offers in one tap: the patient of `encounter` ('Encounter/<id>') into `bed`
    ('Location/<id>', on this unit or another), with why ("Transport delivered 14:05 to bed 3E-07 (3 East)")."""

    encounter: str
    bed: str
    bed_name: str
    why: str


#: The moves a workflow offers for one encounter of the unit ('Encounter/<id>'): at most one small request.
MoveSource = Callable[[str], list[MoveOffer]]


def add_move_offers(app: Flask, source: MoveSource) -> None:
    sources: list[MoveSource] = app.config.setdefault(MOVE_OFFERS_KEY, [])
    if source not in sources:
        sources.append(source)


def move_offers(app: Flask, encounter: str) -> list[MoveOffer]:
    """Every registered source's moves for this encounter, one per bed (the first source's first)."""
    found: dict[str, MoveOffer] = {}
    for source in app.config.get(MOVE_OFFERS_KEY, []):
        for offer in source(encounter):
            found.setdefault(offer.bed, offer)
    return list(found.values())
