"""Label data for the printers tests: the names real units meet, and the configured label stock."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from printers import (
    ArmbandLabel,
    ChartLabel,
    EncounterDetails,
    Label,
    LabelType,
    PatientIdentity,
    PrintersConfig,
    SpecimenLabel,
    load_printers_config,
)

ROOT = Path(__file__).resolve().parents[3]

#: (family, given): the ZPL specials, markup characters, apostrophes and hyphens, accents (stacked
#: Vietnamese marks above capitals and below the line), Greek and Cyrillic, scripts the label font does not
#: have (Chinese, Korean, Thai), and a name of exactly 80 characters as printed (LAST, First).
NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "specials": ("O'Brien-^Smith~Jones", ("<Mary>", "&", "Ann_Lee")),
    "accents": ("García-López", ("María", "José")),
    "vietnamese": ("Nguyễn", ("Thị", "Mai")),
    "vietnamese-stacked": ("Trần", ("Ấu", "Ầm", "Ệ", "Ộ")),
    "irish": ("Ó Súilleabháin", ("Pádraig",)),
    "greek-cyrillic": ("Παπαδόπουλος", ("Ёлка", "Йорг")),
    "chinese": ("王", ("小明",)),
    "korean": ("김", ("민준",)),
    "thai": ("ศรีสวัสดิ์", ("สมชาย",)),
    "eighty": ("Hernández-Villanueva de los Santos-O'Brien", ("María", "Guadalupe", "Concepción", "Ximena", "Jo")),
}
#: Names the label font cannot draw: every label for them is refused (UnprintableText), never printed
#: with empty boxes.
UNPRINTABLE = frozenset({"chinese", "korean", "thai"})
PRINTABLE = sorted(set(NAMES) - UNPRINTABLE)


@pytest.fixture(scope="session")
def config() -> PrintersConfig:
    return load_printers_config(ROOT / "config" / "printers.toml", ROOT)


def patient(name: str) -> PatientIdentity:
    family, given = NAMES[name]
    return PatientIdentity(family, given, date(1985, 11, 2), "20000074", "female")


def make_label(label_type: LabelType, name: str) -> Label:
    p = patient(name)
    e = EncounterDetails("610000013", date(2026, 11, 20), "ADEYEMI, Folake", ("Allergy: penicillin", "Fall risk"))
    if label_type is LabelType.SPECIMEN:
        return SpecimenLabel(p, "S26-000123", "CBC with differential", "Lavender top (EDTA)",
                             datetime(2026, 11, 26, 8, 30))
    if label_type is LabelType.CHART:
        return ChartLabel(p, e)
    return ArmbandLabel(p, e, infant=label_type is LabelType.INFANT_ARMBAND)
