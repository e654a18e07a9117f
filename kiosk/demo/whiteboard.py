"""The whiteboard's demo: the unit's nurses and nursing assistants (Practitioners with a PractitionerRole
on the unit), the last shift's and this shift's assignments with their charge nurses (written the way
the assignment screen writes them), and a case manager on a few patients' care teams.

Idempotent: people are conditional creates on their identifiers, and assigning a shift again as it is
changes nothing.
"""

from __future__ import annotations

from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir.client import Transaction, identifier_query
from kiosk.fhir.refs import version_of
from kiosk.whiteboard import (
    NURSE,
    NURSING_ASSISTANT,
    SNOMED,
    WHITEBOARD_FILE,
    AssignScreen,
    Chooser,
    assign_shift,
    load_assign_screen,
)

from .extras import DemoContext
from .hospital import DEMO_RECORD_SYSTEM

#: (identifier, family, given, role): nurses N20xx, nursing assistants N21xx, case managers N22xx.
STAFF: list[tuple[str, str, str, str]] = [
    ("N2001", "Lambert", "Grace", NURSE), ("N2002", "Owusu", "Priscilla", NURSE),
    ("N2003", "Kaur", "Daniel", NURSE), ("N2004", "Weber", "Hannah", NURSE),
    ("N2005", "Bell", "Marcus", NURSE), ("N2006", "Farouk", "Leila", NURSE),
    ("N2007", "Nakamura", "Ruth", NURSE), ("N2008", "Mbeki", "Oscar", NURSE),
    ("N2101", "Ortega", "Tomás", NURSING_ASSISTANT), ("N2102", "Grant", "Keisha", NURSING_ASSISTANT),
    ("N2103", "Novotny", "Pavel", NURSING_ASSISTANT), ("N2104", "Silva", "Ana", NURSING_ASSISTANT),
    ("N2201", "Whitfield", "Joan", "case-manager"), ("N2202", "Szabo", "Peter", "case-manager"),
]
#: Who works which shift: (nurses, aides, charge nurse) by identifier.
THIS_SHIFT = (("N2001", "N2002", "N2003", "N2004"), ("N2101", "N2102"), "N2003")
LAST_SHIFT = (("N2005", "N2006", "N2007", "N2008"), ("N2103", "N2104"), "N2007")
CASE_MANAGER_TEXT = "Case manager"


def _people_transaction(ctx: DemoContext, unit_id: str) -> Transaction:
    system = ctx.settings.identifiers.practitioner
    tx = Transaction()
    for ident, family, given, role in STAFF:
        urn = tx.create({"resourceType": "Practitioner", "identifier": [b.identifier(system, ident)], "active": True,
                         "name": [{"use": "official", "family": family, "given": [given]}]},
                        if_none_exist=identifier_query(system, ident))
        if role == "case-manager":
            continue
        key = f"role-{ident}-{unit_id}"
        tx.create({"resourceType": "PractitionerRole", "identifier": [b.identifier(DEMO_RECORD_SYSTEM, key)],
                   "active": True, "practitioner": b.reference(urn), "location": [b.reference(f"Location/{unit_id}")],
                   "code": [b.concept(SNOMED, role)]},
                  if_none_exist=identifier_query(DEMO_RECORD_SYSTEM, key))
    return tx


def _chooser(refs: dict[str, str], crew: tuple[tuple[str, ...], tuple[str, ...], str]) -> Chooser:
    """Each nurse and aide takes a run of neighbouring beds, as charge nurses assign them."""
    nurses, aides, charge = crew

    def choose(screen: AssignScreen) -> tuple[dict[str, dict[str, str]], str]:
        here = [bed for bed in screen.beds if not bed.incoming]
        chosen: dict[str, dict[str, str]] = {}
        for i, bed in enumerate(here):
            chosen[bed.id] = {"nurse": refs[nurses[i * len(nurses) // len(here)]],
                              "aide": refs[aides[i * len(aides) // len(here)]]}
        return chosen, refs[charge]

    return choose


def _add_case_managers(ctx: DemoContext, screen: AssignScreen, refs: dict[str, str]) -> int:
    """A case manager on the care teams of a few patients this shift (kept when the team is reassigned)."""
    gw = ctx.gateway
    team_ids = [ref.split("@")[0].removeprefix("CareTeam/") for ref in screen.seen.split()]
    if not team_ids:
        return 0
    teams = {(t.get("encounter") or {}).get("reference"): t
             for t in gw.client.search("CareTeam", [("_id", ",".join(team_ids))]).matches}
    names = {ident: f"{given} {family}" for ident, family, given, _ in STAFF}
    added = 0
    here = [bed for bed in screen.beds if not bed.incoming]
    for bed, manager in zip(here[1::9], ("N2201", "N2202", "N2201"), strict=False):
        team = teams.get(f"Encounter/{bed.encounter_id}")
        if team is None or any((p.get("member") or {}).get("reference") == refs[manager]
                               for p in team.get("participant") or []):
            continue
        updated: dict[str, Any] = {k: v for k, v in team.items() if k != "meta"}
        updated["participant"] = [*team.get("participant", []), {
            "role": [{"text": CASE_MANAGER_TEXT}], "member": b.reference(refs[manager], names[manager])}]
        gw.client.update(updated, version=version_of(team))
        added += 1
    return added


def _practitioners(ctx: DemoContext) -> dict[str, str]:
    """Identifier -> 'Practitioner/<id>' of the demo's staff."""
    system = ctx.settings.identifiers.practitioner
    found = ctx.gateway.client.search("Practitioner", [
        ("identifier", ",".join(f"{system}|{ident}" for ident, *_ in STAFF)), ("_count", "100")]).matches
    return {i["value"]: f"Practitioner/{r['id']}" for r in found for i in r.get("identifier") or []
            if i.get("system") == system and i.get("value")}


def seed(ctx: DemoContext) -> str:
    gw = ctx.gateway
    settings = WHITEBOARD_FILE.read(ctx.settings)
    results = gw.client.transaction(_people_transaction(ctx, gw.unit_location_id()))
    created = sum(1 for r in results if r.created)
    refs = _practitioners(ctx)
    lines = []
    for which, crew in (("previous", LAST_SHIFT), ("current", THIS_SHIFT)):
        outcome, planned = assign_shift(gw, ctx.database, settings, which, _chooser(refs, crew))
        lines.append(planned.message if outcome.kind == "done" else f"not saved ({outcome.message})")
    managers = _add_case_managers(ctx, load_assign_screen(gw, ctx.database, settings, "current"), refs)
    return (f"whiteboard: {created} staff records created ({len(results) - created} already there); "
            f"{' '.join(lines)} {managers} case managers added.")
