"""The hospital view's cards: each ward's counts by the bed board's own rules, on its slice of the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.beds import UnitCounts, unit_counts
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.site import site_census


@dataclass(frozen=True)
class UnitCard:
    reference: str
    name: str
    counts: UnitCounts
    own: bool


@dataclass(frozen=True)
class HospitalView:
    cards: list[UnitCard]
    fetched_at: datetime

    @property
    def totals(self) -> dict[str, int]:
        keys = ("occupied", "available", "reserved", "housekeeping", "blocked", "pending_admissions", "total_beds")
        return {k: sum(getattr(c.counts, k) for c in self.cards) for k in keys}


def hospital_view(gw: FhirGateway) -> HospitalView:
    """Every ward of the kiosk's site, the kiosk's own first, then by name."""
    site = site_census(gw)
    cards = [UnitCard(ref, census.unit.name, unit_counts(census), ref == site.own_unit)
             for ref, census in site.units.items()]
    cards.sort(key=lambda c: (not c.own, c.name))
    return HospitalView(cards, site.fetched_at)
