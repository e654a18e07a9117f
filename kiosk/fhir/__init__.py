"""The FHIR layer shared by every workflow: the client (`client.py`, the only code that sends requests,
builds URLs or reads Bundles), the gateway and capabilities, the change mechanism (`change.py`),
references and versions (`refs.py`), the shared records, and the builders and searches of shared
resources (Patient, Encounter, Location, Practitioner, Task, Flag).

A workflow's own searches and resource shapes live in its `kiosk/<workflow>/fhir.py`, which calls the
client through the process's gateway; views and services call those and this package's typed
functions, and receive records and view-ready values, never raw Bundles. See docs/architecture.md,
"Talking to FHIR".
"""

from .client import FhirClient, SearchResult, Transaction, WriteResult, count_requests, identifier_query
from .errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirNotAllowed,
    FhirNotFound,
    FhirUnavailable,
    InvalidResource,
    UnreadableResource,
)
from .gateway import FhirGateway, UnitRef

__all__ = [
    "FhirAuthError",
    "FhirClient",
    "FhirConflict",
    "FhirError",
    "FhirGateway",
    "FhirNotAllowed",
    "FhirNotFound",
    "FhirUnavailable",
    "InvalidResource",
    "SearchResult",
    "Transaction",
    "UnitRef",
    "UnreadableResource",
    "WriteResult",
    "count_requests",
    "identifier_query",
]
