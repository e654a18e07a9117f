"""Label data objects: what goes on a label, independent of printer language and resolution.

printers/ knows nothing of FHIR or Flask; the kiosk builds these objects from its FHIR records.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from .errors import BadIdentifier


class LabelType(StrEnum):
    ADULT_ARMBAND = "adult-armband"
    INFANT_ARMBAND = "infant-armband"
    CHART = "chart"
    SPECIMEN = "specimen"

    @property
    def title(self) -> str:
        return {
            LabelType.ADULT_ARMBAND: "Adult armband",
            LabelType.INFANT_ARMBAND: "Infant / pediatric armband",
            LabelType.CHART: "Chart labels",
            LabelType.SPECIMEN: "Specimen label",
        }[self]

    @property
    def is_armband(self) -> bool:
        return self in (LabelType.ADULT_ARMBAND, LabelType.INFANT_ARMBAND)


class ScanIdentifier(StrEnum):
    """Which identifier the armband's and chart label's Code 128 carries (what the hospital scans)."""

    ENCOUNTER = "encounter"
    MRN = "mrn"


SEX_LETTER = {"male": "M", "female": "F", "other": "X", "unknown": "U"}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def label_date(day: date) -> str:
    """'02 Nov 1985': unambiguous in every locale, unlike 11/02/1985."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year:04d}"


def label_datetime(moment: datetime) -> str:
    return f"{label_date(moment.date())} {moment:%H:%M}"


def last_first(family: str, given: Sequence[str]) -> str:
    """'GARCÍA-LÓPEZ, María José': family name in capitals, given names after a comma, runs of spaces as one,
    composed (NFC). The one form of a name that labels print and that the user confirms on the screen."""
    family_text = " ".join(family.split()).upper()
    given_text = " ".join(word for g in given for word in g.split())
    text = f"{family_text}, {given_text}" if family_text and given_text else family_text or given_text
    return unicodedata.normalize("NFC", text)


def identifier(value: str, what: str) -> str:
    """An identifier as a label prints it and as its barcode carries it, made once for both: composed (NFC),
    without the spaces around it (a record padded to "  20000074 " holds the same number). One whose meaning
    could change on the way is refused (BadIdentifier), never guessed at: a space, tab or line break inside it
    (which one is the number?), or a character outside printable ASCII (a barcode cannot carry it, and a
    look-alike such as a Cyrillic А or a zero-width space prints as the same text but scans as another)."""
    text = unicodedata.normalize("NFC", value).strip()
    if any(ch.isspace() for ch in text):
        raise BadIdentifier(f"The {what} on record has a space or line break inside it, so the label could be read "
                            "as another number. Nothing was printed; ask registration to correct the record.")
    if not all(32 < ord(ch) < 127 for ch in text):
        raise BadIdentifier(f"The {what} on record has a character other than letters, digits and plain signs, so "
                            "its barcode could scan as another number. Nothing was printed; ask registration to "
                            "correct the record.")
    return text


@dataclass(frozen=True)
class PatientIdentity:
    """The patient identifiers a label carries. Name and birth date are the two identifiers the user
    confirms with the patient; the MRN is what systems match on."""

    family: str
    given: tuple[str, ...]
    birth_date: date
    mrn: str
    sex: str | None = None  # FHIR administrative gender

    def __post_init__(self) -> None:
        if not (self.family.strip() or any(g.strip() for g in self.given)):
            raise ValueError("a label needs the patient's name")
        if not self.mrn.strip():
            raise ValueError("a label needs the patient's MRN")
        object.__setattr__(self, "mrn", identifier(self.mrn, "MRN"))

    @property
    def name_last_first(self) -> str:
        return last_first(self.family, self.given)

    @property
    def sex_letter(self) -> str:
        return SEX_LETTER.get(self.sex or "unknown", "U")


@dataclass(frozen=True)
class EncounterDetails:
    number: str
    admitted: date | None = None
    attending: str = ""
    alerts: tuple[str, ...] = ()
    #: How many of the alerts are allergies (they come first): an armband whose alerts do not fit says
    #: "ALLERGIES: SEE CHART" rather than printing part of the list.
    allergies: int = 0
    #: Printed first among the alerts when another patient on the unit shares family name and initial
    #: ("SAME NAME", or the hospital's wording); "" when none does.
    name_alert: str = ""

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValueError("an armband needs the encounter number")
        object.__setattr__(self, "number", identifier(self.number, "encounter number"))


@dataclass(frozen=True)
class ArmbandLabel:
    patient: PatientIdentity
    encounter: EncounterDetails
    infant: bool = False
    scan: ScanIdentifier = ScanIdentifier.ENCOUNTER

    @property
    def label_type(self) -> LabelType:
        return LabelType.INFANT_ARMBAND if self.infant else LabelType.ADULT_ARMBAND


@dataclass(frozen=True)
class ChartLabel:
    patient: PatientIdentity
    encounter: EncounterDetails
    scan: ScanIdentifier = ScanIdentifier.ENCOUNTER

    @property
    def label_type(self) -> LabelType:
        return LabelType.CHART


@dataclass(frozen=True)
class SpecimenLabel:
    patient: PatientIdentity
    accession: str
    test: str
    container: str
    collected: datetime | None = None
    name_alert: str = ""  # as EncounterDetails.name_alert

    def __post_init__(self) -> None:
        if not self.accession.strip():
            raise ValueError("a specimen label needs the accession number")
        object.__setattr__(self, "accession", identifier(self.accession, "accession number"))

    @property
    def label_type(self) -> LabelType:
        return LabelType.SPECIMEN


Label = ArmbandLabel | ChartLabel | SpecimenLabel


@dataclass(frozen=True)
class Media:
    """A label stock, in reading orientation. `rotated`: the printer feeds it lengthwise and prints
    the layout turned 90 degrees (wristband printers: the head is as wide as the band)."""

    name: str
    width_mm: float
    height_mm: float
    rotated: bool = False
    #: The height of the Code 128 bars on this stock (printers.toml bar_height_mm); None: the layout's own.
    bar_height_mm: float | None = None

    def __post_init__(self) -> None:
        if not (5 <= self.width_mm <= 600 and 5 <= self.height_mm <= 600):
            raise ValueError("media sizes must be between 5 and 600 mm")

    @property
    def size_text(self) -> str:
        return f"{self.width_mm / 25.4:.3g} × {self.height_mm / 25.4:.3g} in"


@dataclass(frozen=True)
class Symbol:
    """A barcode that must read back exactly: its symbology and its exact content."""

    kind: str  # "Code128" | "DataMatrix" (zxing-cpp format names)
    data: str
    what: str  # what it carries, for messages: "encounter number", "accession number"


@dataclass(frozen=True)
class RenderedLabel:
    """The bytes to send to a printer, with what they must contain."""

    language: str  # "zpl" | "pdf"
    data: bytes
    dpi: int
    media: Media
    copies: int
    symbols: tuple[Symbol, ...] = field(default=())

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.language == "pdf" else "application/vnd.zebra-zpl"


def sample_label(label_type: LabelType) -> Label:
    """A made-up label of the type with long-ish identifiers, for checking a label stock's settings and for test
    labels: it never carries a real patient."""
    patient = PatientIdentity("Test-Label", ("Not", "A Patient"), date(2000, 1, 1), "TEST0001", "unknown")
    details = EncounterDetails("TEST000000002", date(2000, 1, 1), "TEST, Attending", ("Test label: not a patient",))
    if label_type is LabelType.SPECIMEN:
        return SpecimenLabel(patient, "TEST-00000003", "Test label", "No specimen")
    if label_type is LabelType.CHART:
        return ChartLabel(patient, details)
    return ArmbandLabel(patient, details, infant=label_type is LabelType.INFANT_ARMBAND)
