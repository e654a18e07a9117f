"""Labels built from FHIR records: what goes on them, and what stops a print before it starts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk import timeutil
from kiosk.fhir.patient_context import EncounterContext
from kiosk.fhir.records import (
    EncounterLocation,
    EncounterRecord,
    FlagRecord,
    PatientRecord,
    PersonName,
    PractitionerRecord,
)
from kiosk.labels.services import (
    BannerAlert,
    LabelRefused,
    SpecimenDetails,
    admission_date,
    banner,
    build_label,
    check_previewed,
    prepare,
    scanned_number,
)
from printers import ArmbandLabel, ChartLabel, LabelType, SpecimenLabel, load_printers_config
from printers.zpl import lay_out

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_printers_config(ROOT / "config" / "printers.toml", ROOT)


GARCIA = PersonName("García-López", ("María", "José"))


@pytest.fixture
def new_york() -> Iterator[None]:
    timeutil.configure("America/New_York")
    yield
    timeutil.configure("")


def context(birth_date: date | None = date(1971, 7, 30), mrn: str | None = "20000037",
            number: str | None = "610000026", birth_date_text: str | None = None, status: str = "in-progress",
            start: datetime | None = datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            name: PersonName = GARCIA) -> EncounterContext:
    patient = PatientRecord("p1", name, birth_date, "female", mrn,
                            birth_date_text or (birth_date.isoformat() if birth_date else None))
    encounter = EncounterRecord("e1", "1", status, "IMP", "Patient/p1", number, start, None, None, (), (), None)
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
    (context(birth_date=None, birth_date_text="1985"), "date of birth on record is incomplete"),
    (context(birth_date=None, birth_date_text="1985-07"), "date of birth on record is incomplete"),
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
    assert prepared.decoded == ("S26-9",) and b"^PQ2,0,0,N" in prepared.rendered.data
    assert prepared.preview_data_uri.startswith("data:image/png;base64,")


@pytest.mark.parametrize("label_type", list(LabelType))
def test_a_partial_birth_date_is_never_made_into_a_day(label_type: LabelType) -> None:
    """'1985' on record: no label of any type is printed with an invented 01 Jan 1985, and the page says
    what is on record."""
    ctx = context(birth_date=None, birth_date_text="1985")
    with pytest.raises(LabelRefused, match="incomplete") as refused:
        build_label(ctx, label_type, CONFIG, SpecimenDetails("S26-9", "CBC", "Lavender"))
    assert "1985" not in refused.value.message
    assert banner(ctx).birth_date == "1985 (incomplete)"


def test_the_admission_date_is_the_stations_day(new_york: None) -> None:
    """02:30 UTC on 27 Nov is 21:30 on 26 Nov in New York: the armband says 26 Nov."""
    late = context(start=datetime(2026, 11, 27, 2, 30, tzinfo=UTC))
    label = build_label(late, LabelType.ADULT_ARMBAND, CONFIG)
    assert isinstance(label, ArmbandLabel) and label.encounter.admitted == date(2026, 11, 26)
    assert banner(late).admitted == "26 Nov 2026"
    lines = [t.line for t in lay_out(label, CONFIG.media[LabelType.ADULT_ARMBAND], 300).placed]
    assert "Adm 26 Nov 2026   Att ADEYEMI, Folake" in lines


@pytest.mark.parametrize("status", ["planned", "cancelled", "finished", "entered-in-error"])
def test_no_admission_date_for_a_patient_who_has_not_arrived(status: str) -> None:
    """A planned encounter's start is the expected arrival: nothing is printed as 'Adm'."""
    ctx = context(status=status)
    assert admission_date(ctx.encounter) is None and banner(ctx).admitted == ""
    if status == "planned":
        label = build_label(ctx, LabelType.ADULT_ARMBAND, CONFIG)
        assert isinstance(label, ArmbandLabel) and label.encounter.admitted is None
        lines = [t.line for t in lay_out(label, CONFIG.media[LabelType.ADULT_ARMBAND], 203).placed]
        assert lines[3] == "Att ADEYEMI, Folake" and not any("Adm" in line for line in lines)


@pytest.mark.parametrize("status", ["arrived", "triaged", "in-progress", "onleave"])
def test_the_admission_date_for_a_patient_who_is_here(status: str) -> None:
    assert admission_date(context(status=status).encounter) == date(2026, 11, 20)


def test_without_a_period_start_the_first_bed_entry_is_the_admission() -> None:
    ctx = context(start=None)
    beds = (EncounterLocation("Location/b2", "active", datetime(2026, 11, 22, 15, tzinfo=UTC), None),
            EncounterLocation("Location/b1", "completed", datetime(2026, 11, 21, 15, tzinfo=UTC),
                              datetime(2026, 11, 22, 15, tzinfo=UTC)))
    assert admission_date(replace(ctx.encounter, locations=beds)) == date(2026, 11, 21)


@pytest.mark.parametrize("name", [PersonName("  van der  Berg ", ("Anna ", " Maria")),
                                  PersonName("Nguye\u0302\u0303n", ("Thi\u0323",)),
                                  PersonName("O'Brien-^Smith~Jones", ("<Mary>", "&", "Ann_Lee"))])
def test_the_name_confirmed_on_screen_is_the_name_printed(name: PersonName) -> None:
    ctx = context(name=name)
    printed = build_label(ctx, LabelType.CHART, CONFIG)
    assert banner(ctx).name == printed.patient.name_last_first
    placed = lay_out(printed, CONFIG.media[LabelType.CHART], 300).placed
    assert " ".join(t.line for t in placed if t.box.identifier == "patient name") == banner(ctx).name


def test_banner_alerts_carry_the_boards_kinds_and_the_armband_counts_allergies() -> None:
    ctx = context()
    assert banner(ctx).alerts == (BannerAlert("allergy", "Allergy: penicillin"), BannerAlert("fall", "Fall risk"))
    label = build_label(ctx, LabelType.ADULT_ARMBAND, CONFIG)
    assert isinstance(label, ArmbandLabel) and label.encounter.allergies == 1


def test_a_print_needs_the_previewed_bytes_and_a_print_token() -> None:
    prepared = prepare(build_label(context(), LabelType.CHART, CONFIG), CONFIG.printers["4W-LABELS"], CONFIG, 1)
    token = "0123456789abcdef0123456789abcdef"
    assert check_previewed(prepared, prepared.sha256, token).ok
    for previewed in ("", None, "0" * 64):
        check = check_previewed(prepared, previewed, token)
        assert not check.ok and check.notice and "changed since the preview" in check.notice
    for bad in ("", None, "not-a-token"):
        assert not check_previewed(prepared, prepared.sha256, bad).ok
    assert not check_previewed(None, prepared.sha256, token).ok


def test_the_armbands_own_data_matrix_text_finds_the_encounter() -> None:
    assert scanned_number("MRN:20000074|ENC:610000013") == "610000013"
    assert scanned_number(" 20000074 ") == "20000074"


def test_padded_identifiers_from_the_record_are_trimmed_once_for_text_and_barcodes() -> None:
    """A record padded with spaces (and a no-break space) prints and scans as the same number: the barcode
    carries what the text shows."""
    ctx = context(mrn=" 20000037\u00a0", number="\t610000026 ")
    label = build_label(ctx, LabelType.ADULT_ARMBAND, CONFIG)
    assert (label.patient.mrn, label.encounter.number) == ("20000037", "610000026")  # type: ignore[union-attr]
    prepared = prepare(label, CONFIG.printers["4W-WRISTBAND"], CONFIG, 1)
    assert sorted(prepared.decoded) == ["610000026", "MRN:20000037|ENC:610000026"]


@pytest.mark.parametrize(("mrn", "number", "message"), [
    ("2000 0037", "610000026", "MRN on record has a space or line break inside it"),
    ("20000037", "6100\n00026", "encounter number on record has a space or line break inside it"),
    ("2000\u200b0037", "610000026", "MRN on record has a character other than letters, digits and plain signs"),
    ("20000037", "61000002\u0410", "encounter number on record has a character other than"),
])
def test_identifiers_whose_meaning_could_change_are_refused(mrn: str, number: str, message: str) -> None:
    with pytest.raises(LabelRefused, match=message) as refused:
        build_label(context(mrn=mrn, number=number), LabelType.CHART, CONFIG)
    assert "0037" not in refused.value.message and "00026" not in refused.value.message  # no patient data
