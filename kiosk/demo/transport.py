"""Transport in the demo: the hospital's departments (Imaging, Endoscopy, Echocardiography, Physical
therapy) as Locations of the site, and jobs of 4 West in every state, one of them waiting past its
target. Idempotent: every resource is a conditional create on its identifier or request number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiosk.auth import Role
from kiosk.auth.services import DEMO_STAFF
from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.client import Transaction, identifier_query
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.transport import JobSpec, Need, PlaceRef, Systems, job_transaction, staff_reference

from .extras import DemoContext
from .hospital import CARDIAC, HOSPITAL_CODE, MED_SURG

V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
#: (identifier, name, v3 RoleCode, its display): departments a patient is taken to.
DEPARTMENTS = (
    ("DEPT-IMG", "Imaging (Radiology)", "RADDX", "Radiology diagnostics or therapeutics unit"),
    ("DEPT-ENDO", "Endoscopy", "ENDOS", "Endoscopy lab"),
    ("DEPT-ECHO", "Echocardiography", "ECHO", "Echocardiography lab"),
    ("DEPT-PT", "Physical therapy gym", None, None),
)


def departments_transaction(ids: IdentifierSettings) -> Transaction:
    tx = Transaction()
    site = "Location?" + identifier_query(ids.location, HOSPITAL_CODE)
    for ident, name, role, display in DEPARTMENTS:
        place = b.location(name=name, ident=b.identifier(ids.location, ident), kind="area", part_of=site)
        if role:
            place["type"] = [b.concept(V3_ROLE_CODE, role, display)]
        tx.create(place, if_none_exist=identifier_query(ids.location, ident))
    return tx


def seed_departments(gw: FhirGateway) -> dict[str, str]:
    """The departments on the server: identifier -> 'Location/<id>'."""
    results = gw.client.transaction(departments_transaction(gw.identifiers))
    return {ident: r.reference or "" for (ident, *_), r in zip(DEPARTMENTS, results, strict=True)}


def _occupants(census: Census) -> list[tuple[str, str, str]]:
    """(bed reference, patient reference, encounter reference) of the unit's occupied beds, by bed."""
    out = []
    for bed in census.beds:
        for enc in census.encounters:
            if enc.status == "in-progress" and enc.patient and any(
                    loc.location == bed.reference and loc.status == "active" for loc in enc.locations):
                out.append((bed.reference, enc.patient, enc.reference))
    return out


def _transporter(sys: Systems) -> dict[str, Any]:
    badge, name = next((badge, name) for badge, name, role, _pin, _p in DEMO_STAFF if role is Role.TRANSPORTER)
    return staff_reference(sys, badge, name, None)


def seed(ctx: DemoContext) -> str:
    gw = ctx.gateway
    ids = gw.identifiers
    sys = Systems(ids.code_systems)
    departments = seed_departments(gw)
    med_surg = unit_census(gw, UnitRef(system=ids.location, value=MED_SURG.code))
    cardiac = unit_census(gw, UnitRef(system=ids.location, value=CARDIAC.code))
    unit = med_surg.unit
    beds = {b.reference: b for b in med_surg.beds}
    cardiac_beds = {b.reference: b for b in cardiac.beds}
    # The 4 West patient waiting to move to a 3 East bed: their transport there is delivered, and the
    # transport board offers the move into the bed.
    moving = next(((enc.reference, loc.location) for enc in med_surg.encounters for loc in enc.locations
                   if loc.status == "planned" and loc.location in cardiac_beds), None)
    people = [p for p in _occupants(med_surg) if moving is None or p[2] != moving[0]]

    def origin(ref: str) -> PlaceRef:
        bed = beds[ref]
        return PlaceRef(bed.name, bed.reference, unit=unit.reference, unit_name=unit.name, is_bed=True)

    def dept(ident: str) -> PlaceRef:
        name = next(n for i, n, *_ in DEPARTMENTS if i == ident)
        return PlaceRef(name, departments[ident])

    lounge = PlaceRef("Discharge lounge", code="discharge-lounge")
    owner = _transporter(sys)
    specs = [
        dict(state="requested", priority="routine", destination=dept("DEPT-IMG"), asked_ago=6),
        dict(state="requested", priority="stat", destination=dept("DEPT-IMG"), asked_ago=25, target_minutes=10,
             mode="stretcher", needs=(Need("cardiac-monitor", "Cardiac monitor"), Need("oxygen", "Oxygen 2 L/min"))),
        dict(state="accepted", priority="urgent", destination=dept("DEPT-ENDO"), asked_ago=12, target_minutes=20,
             accepted_after=8, owner=owner),
        dict(state="delayed", priority="routine", destination=dept("DEPT-PT"), asked_ago=30, accepted_after=10,
             owner=owner, reason="Patient not ready", mode="walking", needs=(Need("fall-risk", "Fall risk"),)),
        dict(state="picked-up", priority="routine", destination=dept("DEPT-IMG"), asked_ago=35, accepted_after=6,
             picked_after=25, owner=owner, round_trip=True),
        dict(state="back-waiting", priority="routine", destination=dept("DEPT-ECHO"), asked_ago=90,
             accepted_after=5, picked_after=14, delivered_after=24, owner=owner),
        dict(state="requested", priority="routine", destination=lounge, purpose="discharge", asked_ago=2,
             pickup_in=120, mode="wheelchair"),
        dict(state="delivered", priority="urgent", destination=dept("DEPT-IMG"), asked_ago=240, target_minutes=20,
             accepted_after=4, picked_after=11, delivered_after=19, owner=owner),
        dict(state="cancelled", priority="routine", destination=dept("DEPT-ENDO"), asked_ago=180,
             reason="Test or procedure cancelled"),
    ]
    pairs = list(zip(specs, people, strict=False))
    if moving is not None:
        target = cardiac_beds[moving[1]]
        mover = next(p for p in _occupants(med_surg) if p[2] == moving[0])
        pairs.append((dict(state="delivered", priority="urgent", purpose="transfer", mode="bed",
                          destination=PlaceRef(target.name, target.reference, unit=cardiac.unit.reference,
                                               unit_name=cardiac.unit.name, is_bed=True),
                          asked_ago=70, target_minutes=20, accepted_after=5, picked_after=12, delivered_after=22,
                          owner=owner), mover))
    now = datetime.now(UTC).replace(microsecond=0)
    requester = {"display": "Dana Reyes (unit secretary)"}
    created = existing = 0
    for n, (spec, (bed, patient, encounter)) in enumerate(pairs):
        job = JobSpec(number=f"TR-DE{n + 1:06d}", patient=patient, encounter=encounter, origin=origin(bed),
                      **spec)  # type: ignore[arg-type]
        results = gw.client.transaction(job_transaction(job, sys, now, requester))
        created += sum(1 for r in results if r.created)
        existing += sum(1 for r in results if not r.created)
    return (f"Transport: {len(departments)} departments and {len(pairs)} jobs on {unit.name} "
            f"(every state, one waiting past its target): {created} resources created, {existing} already there.")
