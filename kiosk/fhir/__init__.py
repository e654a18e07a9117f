"""The FHIR gateway: the only code in the kiosk that talks to the FHIR server.

Feature code calls the typed functions of this package (census, records, writes) with the process's
FhirGateway, and receives records and view-ready values, never raw Bundles.
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
