"""Helpers of the whiteboard's and readiness's tests: a unit built for one test with its nurses and
nursing assistants on the FHIR server (Practitioners with a PractitionerRole on the unit), a kiosk app
serving it with shifts placed so that no shift changes during a test, and assignments made the way the
assignment screen makes them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from kiosk import timeutil
from kiosk.db import Database
from kiosk.extensions import database, services
from kiosk.fhir import builders as b
from kiosk.fhir.change import Outcome
from kiosk.fhir.client import Transaction, identifier_query
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.settings_files import settings_of
from kiosk.whiteboard import NURSE, NURSING_ASSISTANT, SNOMED, WHITEBOARD_FILE, AssignScreen, assign_shift
from kiosk.whiteboard.assign import AssignPlan
from kiosk.whiteboard.settings import WhiteboardSettings

ROLE_SYSTEM = "https://kiosk.example.org/fhir/sid/test-role"


def steady_shifts(now: datetime | None = None) -> dict[str, str]:
    """Settings whose two shifts start six hours before and after now (local time): no shift ends
    while a test runs, whatever the hour."""
    local = timeutil.local(now or datetime.now(UTC))
    starts = sorted(f"{(local + timedelta(hours=h)).hour:02d}:00" for h in (-5, 7))
    return {"KIOSK_WHITEBOARD_SHIFT_STARTS": ",".join(starts), "KIOSK_WHITEBOARD_SHIFT_NAMES": "Early,Late"}


@dataclass
class Staff:
    ref: str
    name: str
    slot: str


@dataclass
class Ward:
    """A unit, a gateway on it, a kiosk app serving it, and its nurses and aides on the FHIR server."""

    ref: UnitRef
    gw: FhirGateway
    app: Flask
    nurses: list[Staff] = field(default_factory=list)
    aides: list[Staff] = field(default_factory=list)

    @property
    def settings(self) -> WhiteboardSettings:
        with self.app.app_context():
            return settings_of(WHITEBOARD_FILE)

    @property
    def database(self) -> Database:
        with self.app.app_context():
            return database()

    def screen(self, which: str = "current") -> AssignScreen:
        from kiosk.whiteboard import load_assign_screen

        with self.app.app_context():
            return load_assign_screen(self.gw, database(), settings_of(WHITEBOARD_FILE), which)

    def assign(self, choose: Callable[[AssignScreen], tuple[dict[str, dict[str, str]], str]],
               which: str = "current") -> tuple[Outcome, AssignPlan]:
        with self.app.app_context():
            return assign_shift(self.gw, database(), settings_of(WHITEBOARD_FILE), which, choose)

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        return self.gw.client.read(resource_type, resource_id)

    def app_gateway(self) -> FhirGateway:
        with self.app.app_context():
            return services().gateway()


def add_people(gw: FhirGateway, unit_id: str, code: str, nurses: Sequence[tuple[str, str]],
               aides: Sequence[tuple[str, str]]) -> tuple[list[Staff], list[Staff]]:
    """Practitioners with a nurse or nursing-assistant PractitionerRole on the unit, in one transaction."""
    system = gw.identifiers.practitioner
    tx = Transaction()
    wanted = [(f"{code}-{slot[0].upper()}{i}", given, family, slot, role)
              for slot, role, people in (("nurse", NURSE, nurses), ("aide", NURSING_ASSISTANT, aides))
              for i, (given, family) in enumerate(people)]
    for ident, given, family, _slot, role in wanted:
        urn = tx.create({"resourceType": "Practitioner", "identifier": [b.identifier(system, ident)], "active": True,
                         "name": [{"family": family, "given": [given]}]}, if_none_exist=identifier_query(system, ident))
        tx.create({"resourceType": "PractitionerRole", "identifier": [b.identifier(ROLE_SYSTEM, ident)],
                   "active": True, "practitioner": b.reference(urn), "location": [b.reference(f"Location/{unit_id}")],
                   "code": [b.concept(SNOMED, role)]}, if_none_exist=identifier_query(ROLE_SYSTEM, ident))
    results = gw.client.transaction(tx)
    made = [r.reference for r in results if r.reference and r.reference.startswith("Practitioner/")]
    staff = [Staff(ref, f"{given} {family}", slot)
             for ref, (_, given, family, slot, _) in zip(made, wanted, strict=True)]
    return [s for s in staff if s.slot == "nurse"], [s for s in staff if s.slot == "aide"]


NURSES = [("Grace", "Lambert"), ("Priscilla", "Owusu"), ("Daniel", "Kaur"), ("Hannah", "Weber")]
AIDES = [("Tomás", "Ortega"), ("Keisha", "Grant")]


def split_among(screen: AssignScreen, nurses: Sequence[Staff], aides: Sequence[Staff], charge: Staff
                ) -> tuple[dict[str, dict[str, str]], str]:
    """Every bed of the screen: the nurses and aides in runs of neighbouring beds."""
    chosen = {}
    for i, bed in enumerate(screen.beds):
        chosen[bed.id] = {"nurse": nurses[i * len(nurses) // len(screen.beds)].ref,
                          "aide": aides[i * len(aides) // len(screen.beds)].ref}
    return chosen, charge.ref


def build_ward(gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask],
               beds: int = 20, **env: str) -> Ward:
    """A new unit of `beds` beds with four nurses and two aides, and a kiosk app serving it (shifts placed
    so that none ends during the test; `env` adds settings)."""
    from tests.support.beds import unit_env, unit_gateway

    ref = make_unit(beds)
    app = make_app(**unit_env(ref), **{**steady_shifts(), **env})
    gw = unit_gateway(gateway, ref)
    nurses, aides = add_people(gw, gw.unit_location_id(), str(ref.value), NURSES, AIDES)
    return Ward(ref=ref, gw=gw, app=app, nurses=nurses, aides=aides)


@pytest.fixture
def ward(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
         make_app: Callable[..., Flask]) -> Callable[..., Ward]:
    """ward(beds=20, **env) -> a new unit with its nurses and aides, and a kiosk app serving it."""
    return lambda beds=20, **env: build_ward(gateway, make_unit, make_app, beds, **env)


#: What a whiteboard render or poll costs when nothing changed on the unit since the shared census was read
#: (kiosk.census): the look at the server's changes (tests look before every read, KIOSK_CENSUS_TRUST_SECONDS=0)
#: and the shift's care teams, which are not part of the census and are read on every render. No census.
WHITEBOARD_UNCHANGED_REQUESTS = "2"
#: The same after a change on the unit: the look, the census read again (6), the care teams and the
#: transport marks (1, kept per census version).
WHITEBOARD_CHANGED_REQUESTS = "9"
#: A page whose only FHIR read is the census (room readiness, the call lights' bed grid), after a change on
#: the unit: the look and the census read again. Unchanged: the look only (tests.support.beds.UNCHANGED_REQUESTS).
CENSUS_READ_AGAIN_REQUESTS = "7"
