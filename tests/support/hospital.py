"""A hospital site of its own for one test: a site Location and wards built like the demo's units (rooms,
beds, patients, planned admissions), so that a test knows exactly how many units the site has."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from kiosk.demo.hospital import DemoBuilder, unit_plan
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.client import Transaction, identifier_query
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.numbers import BLOCK, next_block

_numbers = itertools.count(1)


@dataclass
class TestSite:
    __test__ = False

    gw: FhirGateway
    code: str
    units: list[UnitRef] = field(default_factory=list)

    @property
    def site_query(self) -> str:
        return "Location?" + identifier_query(self.gw.identifiers.location, self.code)

    def add_unit(self, beds: int = 6) -> UnitRef:
        """A ward of `beds` beds on this site (beds=0: a ward with no room and no bed)."""
        n = next(_numbers)
        code = f"{self.code}U{n:02d}"
        ids = self.gw.identifiers
        if beds == 0:
            tx = Transaction()
            tx.create(b.location(name=f"Empty Ward {n}", ident=b.identifier(ids.location, code), kind=codes.WARD,
                                 part_of=self.site_query))
        else:
            builder = DemoBuilder(ids, first_number=BLOCK * next_block())
            tx = builder.unit_transaction(unit_plan(code, f"Ward {code[-3:]}", beds, seed=n))
            unit = tx.entries[0]["resource"]
            assert unit["physicalType"]["coding"][0]["code"] == codes.WARD
            unit["partOf"] = {"reference": self.site_query}
        self.gw.client.transaction(tx)
        ref = UnitRef(system=ids.location, value=code)
        self.units.append(ref)
        return ref


def make_site(gw: FhirGateway) -> TestSite:
    """A new, empty site (no ward yet)."""
    code = f"S{next(_numbers):03d}{uuid.uuid4().hex[:4].upper()}"
    tx = Transaction()
    tx.create(b.location(name=f"Test Site {code}", ident=b.identifier(gw.identifiers.location, code), kind="si"))
    gw.client.transaction(tx)
    return TestSite(gw, code)
