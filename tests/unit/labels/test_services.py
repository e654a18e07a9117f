"""Labels built from FHIR records: what goes on them, and what stops a print before it starts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.fhir.patient_context import EncounterContext
from kiosk.fhir.records import EncounterRecord, FlagRecord, PatientRecord, PersonName, PractitionerRecord
from kiosk.labels.services import LabelRefused, SpecimenDetails, banner, build_label, prepare
from printers import ArmbandLabel, ChartLabel, LabelType, SpecimenLabel, load_printers_config

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_printers_config(ROOT / "config" / "printers.toml", ROOT)


def context(birth_date: date | None = date(1971, 7, 30), mrn: str | None = "20000037",
            number: str | None = "610000026") -> EncounterContext:
    patient = PatientRecord("p1", PersonName("García-López", ("María", "José")), birth_date, "female", mrn)
    encounter = EncounterRecord("e1", "1", "in-progress", "IMP", "Patient/p1", number,
                                datetime(2026, 11, 20, 9, 0, tzinfo=UTC), None, None, (), (), None)
    flags = (FlagRecord("f1", "Patient/p1", "contact", "isolation-contact", "Contact isolation (MRSA)"),
             FlagRecord("f2", "Patient/p1", "safety", "fall-risk", "Fall risk"),
             FlagRecord("f3", "Patient/p1", "drug", "allergy", "Allergy: penicillin"))
    return EncounterContext(patient, encounter, PractitionerRecord("d1", PersonName("Adeyemi", ("Folake",))), flags)


def test_the_armband_carries_identifiers_allergy_and_fall_risk_but_no_location() -> None:
    label = build_label(context(), LabelType.ADULT_ARMBAND, CONFIG)
    assert isinstance(label, ArmbandLabel)
    assert label.patient.name_last_first == "GARCÍA-LÓPEZ, María José"
    assert label.encounter.alerts == ("Allergy: penicillin", "Fall risk")  # isolation is not printed
    assert label.encounter.attending == "ADEYEMI, Folake" and label.encounter.admitted == date(2026, 11, 20)
    assert isinstance(build_label(context(), LabelType.CHART, CONFIG), ChartLabel)
    view = banner(context())
    assert (view.name, view.birth_date, view.sex) == ("GARCÍA-LÓPEZ, María José", "30 Jul 1971", "Female")


@pytest.mark.parametrize(("ctx", "message"), [
    (context(birth_date=None), "no date of birth on record"),
    (context(mrn=None), "no MRN on record"),
    (context(number=None), "no encounter number on record"),
])
def test_missing_identifiers_stop_the_print(ctx: EncounterContext, message: str) -> None:
    with pytest.raises(LabelRefused, match=message):
        build_label(ctx, LabelType.ADULT_ARMBAND, CONFIG)


def test_specimen_labels_need_their_details() -> None:
    with pytest.raises(LabelRefused, match="accession number"):
        build_label(context(), LabelType.SPECIMEN, CONFIG)
    label = build_label(context(), LabelType.SPECIMEN, CONFIG, SpecimenDetails(" S26-9 ", "CBC", "Lavender"))
    assert isinstance(label, SpecimenLabel) and label.accession == "S26-9"


def test_prepare_refuses_a_printer_without_the_stock_and_verifies_the_rest() -> None:
    label = build_label(context(), LabelType.SPECIMEN, CONFIG, SpecimenDetails("S26-9", "CBC", "Lavender"))
    with pytest.raises(LabelRefused, match="not loaded with specimen label stock"):
        prepare(label, CONFIG.printers["4W-WRISTBAND"], CONFIG, 1)
    prepared = prepare(label, CONFIG.printers["4W-LABELS"], CONFIG, 2)
    assert prepared.decoded == ("S26-9",) and prepared.rendered.data.count(b"^XA") == 2
    assert prepared.preview_data_uri.startswith("data:image/png;base64,")
