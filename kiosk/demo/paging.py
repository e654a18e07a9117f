"""Paging in the demo: PractitionerRoles with pagers, phones and e-mail for the demo hospital's doctors,
4 West's nurses and charge nurses, the on-call roles config/on-call.toml names (hospitalists, rapid
response, the transport dispatchers paged by the transport escalation), and pages in every state in the
kiosk's database.

The roles are one transaction of conditional creates on their identifiers (a second run creates
nothing); the pages have fixed public ids, so a second run finds them and adds none.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir.client import Transaction, identifier_query

from .extras import DemoContext

PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
#: Nurses of 4 West (badge-less: the kiosk's demo charge nurse, Sam Okoye, is the day charge nurse).
NURSES: tuple[tuple[str, str, str], ...] = (
    ("N3000", "Okoye", "Sam"),
    ("N3001", "Ortiz", "Lena"),
    ("N3002", "Nakamura", "Kenji"),
    ("N3003", "Boateng", "Ama"),
    ("N3004", "Fischer", "Greta"),
    ("N3005", "Rahman", "Nadia"),
    ("N3006", "Clarke", "Owen"),
)

#: The hospital's transport dispatchers (config/on-call.toml's "transport-dispatcher": DISP-1, DISP-2).
DISPATCHERS: tuple[tuple[str, str, str], ...] = (
    ("D4001", "Reyes", "Dana"),
    ("D4002", "Kowalski", "Piotr"),
)


@dataclass(frozen=True)
class DemoRole:
    identifier: str
    practitioner: str  # its identifier (P1001, N3001)
    code: str  # practitioner-role: doctor, nurse; "" where none fits (the role's text only)
    text: str
    telecoms: tuple[tuple[str, str], ...]  # (system, value), first ranked first
    at_unit: bool = False


def demo_roles() -> list[DemoRole]:
    roles = [DemoRole(f"PR-P{1001 + i}", f"P{1001 + i}", "doctor", "Attending physician",
                      (("pager", f"555-01{10 + i}"), ("email", f"attending{1001 + i}@riverside.example")))
             for i in range(6)]
    roles += [DemoRole(f"PR-P{1007 + i}", f"P{1007 + i}", "doctor", "Resident",
                       (("sms", f"+1 555 010 {20 + i}"), ("pager", f"555-01{20 + i}")), at_unit=True)
              for i in range(4)]
    roles += [
        DemoRole("HOSP-D1", "P1002", "doctor", "Hospitalist", (("pager", "555-0201"),)),
        DemoRole("HOSP-D2", "P1003", "doctor", "Hospitalist", (("pager", "555-0202"),)),
        DemoRole("HOSP-N1", "P1004", "doctor", "Hospitalist", (("pager", "555-0203"),)),
        DemoRole("HOSP-N2", "P1005", "doctor", "Hospitalist", (("pager", "555-0204"),)),
        DemoRole("RRT-1", "P1007", "doctor", "Rapid response", (("pager", "555-0301"),)),
        DemoRole("RRT-2", "P1009", "doctor", "Rapid response", (("pager", "555-0302"),)),
        DemoRole("CN-4W-D", "N3000", "nurse", "Charge nurse", (("pager", "555-0401"),), at_unit=True),
        DemoRole("CN-4W-N", "N3006", "nurse", "Charge nurse", (("pager", "555-0402"),), at_unit=True),
        DemoRole("DISP-1", "D4001", "", "Transport dispatcher", (("pager", "555-0501"),
                                                                   ("email", "transport.dispatch@riverside.example"))),
        DemoRole("DISP-2", "D4002", "", "Transport dispatcher", (("pager", "555-0502"),)),
    ]
    roles += [DemoRole(f"PR-{ident}", ident, "nurse", "Nurse",
                       (("other", f"securechat:{given.lower()}.{family.lower()}"), ("sms", f"+1 555 020 {10 + i}")),
                       at_unit=True)
              for i, (ident, family, given) in enumerate(NURSES) if ident != "N3000"]
    return roles


def roles_transaction(ids: IdentifierSettings, role_system: str, unit_code: str = "4W") -> Transaction:
    """The nurses and dispatchers (Practitioners) and every demo PractitionerRole, created only where
    missing."""
    tx = Transaction()
    # A conditional reference cannot find a resource created in the same transaction: the roles of the
    # nurses and dispatchers made here point at them by their urn:uuid.
    nurses = {ident: tx.create({"resourceType": "Practitioner", "identifier": [b.identifier(ids.practitioner, ident)],
                                "active": True, "name": [{"use": "official", "family": family, "given": [given]}]},
                               if_none_exist=identifier_query(ids.practitioner, ident))
              for ident, family, given in (*NURSES, *DISPATCHERS)}
    unit = "Location?" + identifier_query(ids.location, unit_code)
    for role in demo_roles():
        resource = {
            "resourceType": "PractitionerRole",
            "identifier": [b.identifier(role_system, role.identifier)],
            "active": True,
            "practitioner": {"reference": nurses.get(role.practitioner)
                             or "Practitioner?" + identifier_query(ids.practitioner, role.practitioner)},
            "code": [{"coding": [{"system": PRACTITIONER_ROLE, "code": role.code}], "text": role.text}
                     if role.code else {"text": role.text}],
            "telecom": [{"system": system, "value": value, "use": "work", "rank": rank}
                        for rank, (system, value) in enumerate(role.telecoms, 1)],
        }
        if role.at_unit:
            resource["location"] = [{"reference": unit}]
        tx.create(resource, if_none_exist=identifier_query(role_system, role.identifier))
    return tx


def seed(ctx: DemoContext) -> str:
    from kiosk.paging import seed_demo_pages

    results = ctx.gateway.client.transaction(roles_transaction(ctx.gateway.identifiers, _role_system(ctx)))
    created = sum(1 for r in results if r.created)
    pages = seed_demo_pages(ctx.settings, ctx.gateway, ctx.database)
    return f"paging: {created} practitioners and roles created, {len(results) - created} already there; {pages}"


def _role_system(ctx: DemoContext) -> str:
    from kiosk.paging import on_call_file

    return on_call_file(ctx.settings).role_system
