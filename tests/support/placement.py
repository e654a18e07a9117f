"""Helpers of the bed placement tests: bed requests seeded for a test's unit, and the forms a page shows."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import Flask

from kiosk.fhir.census import fetch_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.placement.fhir import PlacementRequest, Systems, one_request, open_requests
from kiosk.placement.seeding import Admission, admission_transaction
from kiosk.placement.services import suggest


@dataclass
class PlacementUnit:
    ref: UnitRef
    gw: FhirGateway
    app: Flask

    @property
    def unit(self) -> str:
        return f"Location/{self.gw.unit_location_id()}"

    @property
    def sys(self) -> Systems:
        return Systems(self.gw.identifiers.code_systems)

    def add(self, needs: tuple[str, ...] = (), gender: str | None = None, origin: str = "ed") -> str:
        """A new bed request for this unit; returns its Task id. Without a gender: one that a free bed of
        the unit takes now (a test unit's patients, and so its rooms, vary with its seed)."""
        gender = gender or self.fitting_gender(needs)
        token = secrets.randbelow(10**7)
        adm = Admission(number="PL-" + secrets.token_hex(4).upper(), mrn=f"5{token:07d}",
                        encounter_number=f"8{token:08d}", family="Testperson", given=("Ada",), gender=gender,
                        birth_date="1950-01-01", origin=origin, needs=needs, requester="ED charge nurse")
        results = self.gw.client.transaction(admission_transaction(adm, self.unit, self.gw.identifiers,
                                                                   datetime.now(UTC)))
        return str(results[-1].reference).split("/", 1)[1]

    def fitting_gender(self, needs: tuple[str, ...] = ()) -> str:
        """"female", or "male" when only a room with men has a free bed for the needs, as the assign page
        decides it (kiosk.placement.services.suggest)."""
        source = fetch_census(self.gw)
        for gender in ("female", "male"):
            asked = SimpleNamespace(encounter=None, patient=SimpleNamespace(gender=gender), needs=needs)
            if suggest(source, asked, self.sys, self.gw.identifiers).fitting:  # type: ignore[arg-type]
                return gender
        return "female"

    def request(self, task_id: str) -> PlacementRequest:
        found = one_request(self.gw, self.sys, task_id)
        assert found is not None
        return found

    def open(self) -> list[PlacementRequest]:
        return open_requests(self.gw, self.sys, self.unit)


def bed_buttons(html: str) -> list[tuple[str, str, str]]:
    """(bed id, bed version, seen) of each 'assign this bed' form on the assign page."""
    out = []
    for form in re.findall(r'<form method="post" action="[^"]*/assign">(.*?)</form>', html, re.S):
        seen = re.search(r'name="seen" value="([^"]*)"', form)
        bed = re.search(r'name="bed" value="([^"]*)"', form)
        version = re.search(r'name="bed_version" value="([^"]*)"', form)
        assert seen and bed and version
        out.append((bed.group(1), version.group(1), seen.group(1)))
    return out
