"""The FHIR gateway: one per process, holding the pooled client, the server's capabilities and the
hospital's identifier systems. Feature code receives it and calls typed functions with it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kiosk.config import IdentifierSettings, Settings

from .auth import authenticator_from_settings
from .capability import PROBED, STATEMENT, Capabilities, CapabilityCache, probe_searches
from .client import FhirClient
from .errors import FhirError, FhirNotFound, FhirUnavailable
from .records import LocationRecord, read_location


@dataclass(frozen=True)
class UnitRef:
    """How the kiosk's unit is named in settings: a Location id, or an identifier system and value."""

    location_id: str | None = None
    system: str | None = None
    value: str | None = None

    @classmethod
    def parse(cls, spec: str) -> UnitRef:
        if spec.startswith("Location/"):
            return cls(location_id=spec.split("/", 1)[1])
        system, _, value = spec.rpartition("|")
        return cls(system=system, value=value)


class FhirGateway:
    def __init__(self, client: FhirClient, identifiers: IdentifierSettings, unit: UnitRef):
        self.client = client
        self.identifiers = identifiers
        self.unit = unit
        self.capabilities_cache = CapabilityCache(lambda: self.client.metadata(), self._probe_capabilities)
        self._unit_ids: dict[UnitRef, str] = {}
        #: Whether the server answers chained searches (the census uses them): None until tried.
        self.chained_searches: bool | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FhirGateway:
        fhir = settings.fhir
        client = FhirClient(
            fhir.base_url,
            connect_timeout=fhir.connect_timeout,
            read_timeout=fhir.read_timeout,
            read_retries=fhir.read_retries,
            page_size=fhir.page_size,
            authenticator=authenticator_from_settings(fhir.base_url, fhir.auth),
        )
        return cls(client, settings.identifiers, UnitRef.parse(settings.unit.location))

    def _probe_capabilities(self) -> Capabilities:
        """For a server without a CapabilityStatement: the searches of the shared screens (census, free
        beds, scans, places), each tried once."""
        from .census import CENSUS_SEARCHES
        from .encounters import SCAN
        from .locations import FREE_BEDS, PLACES

        needs = [*CENSUS_SEARCHES, *FREE_BEDS, *SCAN, *PLACES]
        return probe_searches(lambda rtype, params: self.client.search(rtype, params, first_page_only=True), needs,
                              software=f"The FHIR server at {self.client.host}")

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_cache.get()

    def close(self) -> None:
        self.client.close()

    def probe(self) -> str:
        """Does the server answer now (for the health page and `kiosk check`)? Returns where its
        capabilities come from: STATEMENT, or PROBED for a server that answers searches but serves no
        CapabilityStatement. Raises FhirError when it does not answer."""
        try:
            self.client.metadata()
            return STATEMENT
        except FhirUnavailable as e:
            if e.status is None:  # not reached at all; a /metadata that fails (HTTP 5xx) is probed below
                raise
            self.client.search("Location", [("_id", "kiosk-probe"), ("_count", "1")])
            return PROBED
        except FhirError:
            self.client.search("Location", [("_id", "kiosk-probe"), ("_count", "1")])
            return PROBED

    def unit_location_id(self, unit: UnitRef | None = None) -> str:
        """The Location id of a unit (the kiosk's own by default); identifier lookups are cached."""
        unit = unit or self.unit
        if unit.location_id:
            return unit.location_id
        with self._lock:
            cached = self._unit_ids.get(unit)
        if cached:
            return cached
        result = self.client.search("Location", [("identifier", f"{unit.system}|{unit.value}")])
        if not result.matches:
            raise FhirNotFound(f"No Location on the FHIR server has the unit identifier {unit.value}; "
                               "check setting unit.location.")
        if len(result.matches) > 1:
            raise FhirError(f"{len(result.matches)} Locations share the unit identifier {unit.value}; "
                            "set unit.location to Location/<id>.")
        location_id = str(result.matches[0]["id"])
        with self._lock:
            self._unit_ids[unit] = location_id
        return location_id

    def read_location(self, location_id: str) -> LocationRecord:
        return read_location(self.client.read("Location", location_id), self.identifiers.location)
