"""Finding patients by the identifiers people type or scan."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .capability import SearchNeed
from .census import require_searches
from .client import token
from .codes import OPEN_ENCOUNTER_STATUSES
from .encounters import ScanMatch, matches_of
from .gateway import FhirGateway
from .records import PatientRecord, read_all, read_patient


def patients_by_mrn(gw: FhirGateway, mrn: str) -> list[PatientRecord]:
    """Patients carrying this MRN (normally one); unreadable records are left out."""
    value = mrn.strip()
    if not value:
        return []
    result = gw.client.search("Patient", [("identifier", token(gw.identifiers.mrn, value))], post=True)
    return read_all(result.matches, lambda r: read_patient(r, gw.identifiers.mrn)).records


def patients_by_reference(gw: FhirGateway, references: list[str]) -> dict[str, PatientRecord]:
    """'Patient/<id>' -> the patient, for up to a page of references, in one request (POST: no ids of
    patients in a URL). References to other types, and patients that cannot be read, are left out."""
    ids = sorted({r.split("/", 1)[1] for r in references if r.startswith("Patient/") and "/" in r})
    if not ids:
        return {}
    result = gw.client.search("Patient", [("_id", ",".join(ids)), ("_count", str(len(ids)))], post=True)
    return {p.reference: p for p in read_all(result.matches, lambda r: read_patient(r, gw.identifiers.mrn)).records}


@dataclass(frozen=True)
class NameQuery:
    """A patient looked for by family name and first initial ("SMITH, J", "smith j") or by date of
    birth ("1955-08-21", "08/21/1955"), as typed in a find field."""

    family: str | None = None
    initial: str | None = None
    birth_date: date | None = None

    def matches(self, family: str, initial: str | None, birth_date: date | None) -> bool:
        """Does a patient of this family name, first initial and birth date answer the query? As the FHIR
        server's string search on the family name does: it starts with what was typed, case and accents
        aside (for the patients the kiosk already holds: those on its own board)."""
        if self.birth_date is not None:
            return birth_date == self.birth_date
        return bool(family) and folded(family).startswith(folded(self.family or "")) and self.same_initial(initial)

    def same_initial(self, initial: str | None) -> bool:
        """The first given name's initial is the one typed (accents aside), or none was typed."""
        return self.initial is None or folded(initial or "") == folded(self.initial)

    @property
    def shown(self) -> str:
        """The query in words, for the person who typed it (never for a log)."""
        if self.birth_date is not None:
            return f"born {self.birth_date:%d %b %Y}"
        return f"{self.family}, {self.initial}" if self.initial else str(self.family)


#: A family name (letters, with an apostrophe, hyphen or space between two letters, or a period after one:
#: "ST. PIERRE") and a first initial, after a comma or a space: "O'NEIL, M", "van der berg, a.", "SMITH J".
_NAME = re.compile(r"^(?P<family>[^\W\d_](?:[^\W\d_'’\- ]|['’\- ](?=[^\W\d_])|\.(?=\s?[^\W\d_]))*)\s*(?:,\s*|\s+)"
                   r"(?P<initial>[^\W\d_])[^\W\d_]*\.?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_name_query(typed: str) -> NameQuery | None:
    """The name or date of birth in what was typed, or None when it is neither (then it may be a
    number: kiosk.armband.parse_scan). A single word is not a name: it may be an MRN."""
    text = " ".join(typed.split())
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        found = pattern.match(text)
        if found:
            parts = found.groups()
            try:
                return NameQuery(birth_date=date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]])))
            except ValueError:
                return None
    named = _NAME.match(text)
    if named is None or len(named.group("family")) > 60:
        return None
    return NameQuery(family=named.group("family"), initial=named.group("initial").upper())


#: At most this many patients are listed for a name; more means: type more of it.
NAME_MATCHES = 20

BY_NAME = (SearchNeed("Encounter", params=("status",),
                      chains=(("patient", "Patient", "family"), ("patient", "Patient", "birthdate")),
                      includes=("Encounter:subject", "Encounter:location")),)


def find_open_encounters_by_name(gw: FhirGateway, query: NameQuery) -> list[ScanMatch]:
    """Open encounters of patients whose family name starts with `query.family` (the server's string
    search: case and accents aside) and whose first given name starts with the initial, or who were born
    on `query.birth_date`; one search in a POST body (the name never in a URL), patients and places
    _included. Raises FhirNotAllowed when the server does not offer the search."""
    require_searches(gw, BY_NAME, "Finding a patient by name")
    params = [("status", ",".join(OPEN_ENCOUNTER_STATUSES)), ("_include", "Encounter:subject"),
              ("_include", "Encounter:location"), ("_count", str(NAME_MATCHES + 1))]
    if query.birth_date is not None:
        params.append(("patient.birthdate", query.birth_date.isoformat()))
    else:
        params.append(("patient.family", str(query.family)))
    result = gw.client.search("Encounter", params, post=True, first_page_only=True)
    matches = matches_of(gw, result)
    if query.initial:
        matches = [m for m in matches if m.patient is not None and query.same_initial(initial_of(m.patient.name.given))]
    return matches


def folded(text: str) -> str:
    """A name as a FHIR string search compares it: case and accents aside ("Núñez" as "nunez")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def initial_of(given: tuple[str, ...] | list[str]) -> str | None:
    """The first given name's initial, in capitals, as a find query carries it."""
    return given[0][:1].upper() if given and given[0] else None

