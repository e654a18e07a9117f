"""Text fitting: identifiers never shortened (refused instead), alerts never cut short ("SEE CHART"),
other text shortened with a visible ellipsis; lines sized from their real ink; both in ZPL and PDF."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from printers import (
    ArmbandLabel,
    ChartLabel,
    DoesNotFit,
    EncounterDetails,
    LabelType,
    Media,
    PatientIdentity,
    PrintersConfig,
    SpecimenLabel,
    UnprintableText,
    render_label,
    render_pdf,
    render_zpl,
)
from printers.fit import LINE_PITCH, fit_text
from printers.layout import TextBox, layout_for
from printers.model import label_date
from printers.pdf import PdfMetrics
from printers.verify import verify
from printers.zpl import ZplMetrics, lay_out


class Metrics:
    """Half an em per character; capitals reach 0.8 em above the baseline, a '^' marks a letter whose
    stacked accent reaches 1.3 em, and a ',' or 'g' reaches 0.25 em below it."""

    def width(self, text: str, size: float) -> float:
        return len(text) * size * 0.5

    def ink(self, text: str, size: float) -> tuple[float, float]:
        return (-1.3 if "^" in text else -0.8) * size, (0.25 if ("," in text or "g" in text) else 0.0) * size

    def ascent(self, size: float) -> float:
        return 0.9 * size

    shapes_right_to_left = False


METRICS = Metrics()


def width(text: str, size: float) -> float:
    return METRICS.width(text, size)


def test_an_identifier_wraps_and_shrinks_but_is_never_shortened() -> None:
    box = TextBox(0, 0, 20, 9, "GARCIA-LOPEZ, Maria Jose", size=3, min_size=2, identifier="patient name",
                  max_lines=2)
    fitted = fit_text(box, METRICS)
    assert " ".join(fitted.lines) == box.text and not fitted.shortened
    with pytest.raises(DoesNotFit, match="patient name is too long to print in full"):
        fit_text(TextBox(0, 0, 10, 3, "GARCIA-LOPEZ, Maria Jose", size=3, min_size=2, identifier="patient name"),
                 METRICS)


def test_other_text_is_shortened_with_an_ellipsis() -> None:
    box = TextBox(0, 0, 20, 3, "Att HERNANDEZ-VILLANUEVA, Maria Guadalupe", size=2, min_size=1.5)
    fitted = fit_text(box, METRICS)
    assert fitted.shortened and fitted.lines[0].endswith("…")
    assert box.text.startswith(fitted.lines[0][:-1].rstrip())
    assert width(fitted.lines[0], fitted.size) <= 20


def test_a_label_that_cannot_hold_the_name_is_refused_with_a_clear_message(config: PrintersConfig) -> None:
    tiny = Media("tiny specimen", 25.4, 12.7)
    p = PatientIdentity("Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh", ("Hubert", "Blaine"),
                        date(1950, 1, 1), "20000001", "male")
    label = SpecimenLabel(p, "S26-1", "CBC", "Lavender")
    for render in (lambda: render_zpl(label, tiny, 203), lambda: render_pdf(label, tiny)):
        with pytest.raises(DoesNotFit) as refused:
            render()
        assert "Nothing was printed" in refused.value.message
        assert "Wolfe" not in refused.value.message  # no patient data in the message


def test_lines_whose_ink_is_taller_than_the_pitch_are_spaced_apart_and_stay_in_their_box() -> None:
    box = TextBox(0, 0, 30, 10, "NGU^YEN, Thi Mai Anh Long Name", size=3, min_size=2, identifier="patient name",
                  max_lines=2)
    fitted = fit_text(box, METRICS)
    assert len(fitted.lines) == 2 and fitted.lines[0].startswith("NGU^YEN")
    inks = [METRICS.ink(line, fitted.size) for line in fitted.lines]
    assert fitted.pitch >= inks[0][1] - inks[1][0] and fitted.pitch >= fitted.size * LINE_PITCH
    assert fitted.baseline_of(0) + inks[0][0] >= 0  # the stacked accent is inside the box
    assert fitted.baseline_of(1) + inks[1][1] <= box.h  # and so is the last line's descent


def test_a_line_whose_ink_is_taller_than_its_box_shrinks_and_is_refused_at_its_smallest() -> None:
    tall = TextBox(0, 0, 50, 3.2, "NGU^YEN, Thi", size=3, min_size=1.5, identifier="patient name")
    fitted = fit_text(tall, METRICS)
    top, bottom = METRICS.ink(fitted.lines[0], fitted.size)
    assert fitted.size < 3 and bottom - top <= tall.h
    assert fitted.baseline + top >= 0 and fitted.baseline + bottom <= tall.h
    with pytest.raises(DoesNotFit, match="patient name is too long to print in full"):
        fit_text(TextBox(0, 0, 50, 2.0, "NGU^YEN, Thi", size=3, min_size=1.5, identifier="patient name"), METRICS)


def test_text_the_label_font_cannot_draw_is_refused_naming_the_field_only() -> None:
    with pytest.raises(UnprintableText, match="The test and container contains characters") as refused:
        fit_text(TextBox(0, 0, 50, 5, "Kreatinin · 血液", size=3, min_size=2, what="test and container"), METRICS)
    assert "血" not in refused.value.message
    decomposed = "Nguye\u0302\u0303n"  # combining marks are composed into the letter the font has
    assert fit_text(TextBox(0, 0, 50, 5, decomposed, size=3, min_size=2), METRICS).lines == ("Nguyễn",)


def _alert_lines(config: PrintersConfig, label_type: LabelType, alerts: tuple[str, ...], allergies: int) -> list[str]:
    p = PatientIdentity("Okafor", ("Chinedu",), date(1948, 3, 12), "20000000", "male")
    e = EncounterDetails("610000013", date(2026, 11, 20), "ADEYEMI, Folake", alerts, allergies)
    writer = lay_out(ArmbandLabel(p, e, infant=label_type is LabelType.INFANT_ARMBAND), config.media[label_type], 203)
    return [t.line for t in writer.placed if t.box.what == "alert text"]


@pytest.mark.parametrize("label_type", [LabelType.ADULT_ARMBAND, LabelType.INFANT_ARMBAND])
def test_alerts_wrap_to_two_lines_and_are_never_cut_short(label_type: LabelType, config: PrintersConfig) -> None:
    short = _alert_lines(config, label_type, ("Allergy: penicillin", "Fall risk"), 1)
    assert short == ["Allergy: penicillin · Fall risk"]
    two = ("Allergy: penicillin, amoxicillin, latex", "Allergy: shellfish, iodine contrast", "Fall risk")
    wrapped = _alert_lines(config, label_type, two, 2)
    if label_type is LabelType.ADULT_ARMBAND:
        assert len(wrapped) == 2 and " ".join(wrapped) == " · ".join(two)
    else:  # two lines would be smaller than alert text may be on the narrow infant band
        assert wrapped == ["ALLERGIES: SEE CHART (3)"]
    many = ("Allergy: penicillin, amoxicillin, cephalexin, sulfamethoxazole, trimethoprim",
            "Allergy: latex, shellfish, iodine contrast, peanuts, tree nuts, eggs",
            "Allergy: morphine, codeine, hydromorphone", "Fall risk")
    assert _alert_lines(config, label_type, many, 3) == ["ALLERGIES: SEE CHART (4)"]
    assert _alert_lines(config, label_type, ("Fall risk: " + "x" * 400,), 0) == ["ALERTS: SEE CHART (1)"]
    for lines in (short, wrapped):
        assert not any(line.endswith("…") for line in lines)


def test_long_attending_names_are_shortened_visibly_on_the_armband(config: PrintersConfig) -> None:
    p = PatientIdentity("Okafor", ("Chinedu",), date(1948, 3, 12), "20000000", "male")
    e = EncounterDetails("610000013", date(2026, 11, 20),
                         "HERNANDEZ-VILLANUEVA DE LOS SANTOS-WOLFESCHLEGELSTEIN, Maria Guadalupe Concepcion Ximena",
                         ("Allergy: penicillin",), 1)
    writer = lay_out(ArmbandLabel(p, e), config.media[LabelType.INFANT_ARMBAND], 203)
    lines = {t.box.subject: t.line for t in writer.placed}
    assert lines["admission and attending line"].endswith("…")  # shortened, with a visible ellipsis
    assert lines["admission and attending line"].startswith("Adm 20 Nov 2026   Att HERNANDEZ")
    assert lines["patient name"] == "OKAFOR, Chinedu"
    assert lines["MRN and encounter number"] == "MRN 20000000   Enc 610000013"
    assert lines["date of birth"] == "DOB 12 Mar 1948   Sex M"


def test_dates_are_unambiguous() -> None:
    assert label_date(date(1985, 11, 2)) == "02 Nov 1985"


def test_a_name_wraps_after_a_hyphen_and_keeps_every_character() -> None:
    box = TextBox(0, 0, 4.6, 3, "ABCD-EFGH, Ann", size=1.0, min_size=1.0, max_lines=2,
                  identifier="patient name", break_at_hyphens=True)
    assert fit_text(box, Metrics()).lines == ("ABCD-", "EFGH, Ann")
    with pytest.raises(DoesNotFit):  # at spaces only, "ABCD-EFGH," is one word wider than the box
        fit_text(replace(box, break_at_hyphens=False), Metrics())
    joined = TextBox(0, 0, 40, 3, "A--B X- Y-Z", size=1.0, min_size=1.0, max_lines=2, identifier="patient name",
                     break_at_hyphens=True)
    assert fit_text(joined, Metrics()).lines == ("A--B X- Y-Z",)


@pytest.mark.parametrize("language", ["zpl", "pdf"])
def test_a_long_hyphenated_family_name_fits_a_chart_label_by_wrapping_at_its_hyphen(
        language: str, config: PrintersConfig) -> None:
    """Refused before: the family name was one unbreakable word wider than the label."""
    patient = PatientIdentity("Fernández-Castellanos-Villanueva", ("María", "José"), date(1970, 1, 2), "20000074")
    label = ChartLabel(patient, EncounterDetails("610000013"))
    media = config.media[LabelType.CHART]
    rendered = render_zpl(label, media, 203) if language == "zpl" else render_pdf(label, media, dpi=203)
    name_box = next(b for b in layout_for(label, media).texts if b.identifier == "patient name")
    lines = fit_text(name_box, ZplMetrics(203 / 25.4) if language == "zpl" else PdfMetrics()).lines
    assert lines == ("FERNÁNDEZ-CASTELLANOS-", "VILLANUEVA, María José")
    assert [d.text for d in verify(rendered).decoded] == ["610000013"]


def test_numbers_never_wrap_at_their_hyphens(config: PrintersConfig) -> None:
    label = SpecimenLabel(PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), "20000074"), "S26-000123", "CBC",
                          "Lavender")
    boxes = layout_for(label, config.media[LabelType.SPECIMEN]).texts
    assert [b.break_at_hyphens for b in boxes if b.identifier] == [True, False, False]  # the name only


def test_the_name_alert_comes_first_and_survives_see_chart(config: PrintersConfig) -> None:
    patient = PatientIdentity("Johnson", ("Rohan",), date(1955, 8, 21), "23700000", "male")
    many = tuple(f"Allergy: drug number {i} with a long name" for i in range(6))
    details = EncounterDetails("610000013", None, "", many, allergies=6, name_alert="SAME NAME")
    media = config.media[LabelType.INFANT_ARMBAND]
    box = next(b for b in layout_for(ArmbandLabel(patient, details, infant=True), media).texts if b.inverse)
    assert box.text.startswith("SAME NAME · Allergy: drug number 0") and box.instead == \
        "SAME NAME · ALLERGIES: SEE CHART (6)"
    fitted = fit_text(box, ZplMetrics(203 / 25.4))
    assert fitted.replaced and fitted.lines == ("SAME NAME · ALLERGIES: SEE CHART (6)",)
    only = next(b for b in layout_for(ArmbandLabel(patient, replace(details, alerts=(), allergies=0)), media).texts
                if b.inverse)
    assert only.text == "SAME NAME"


@pytest.mark.parametrize("language", ["zpl", "pdf"])
def test_a_specimen_label_refusal_says_what_would_fit(language: str, config: PrintersConfig) -> None:
    """The refusal names the limit for this accession number and how many characters are too many; the
    number it names does fit, one more does not."""
    media = config.media[LabelType.SPECIMEN]
    someone = PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), "20000074", "female")

    def render(accession: str) -> None:
        render_label(SpecimenLabel(someone, accession, "CBC", "Lavender top"), media, language, 203)

    accession = "S26-004512-ABCDEFGHIJKLMNOPQRSTUV-XYZ12"
    with pytest.raises(DoesNotFit) as refused:
        render(accession)
    match = re.search(r"it is (\d+) characters long and only (\d+) of them fit, in its text and its barcode "
                      r"\((\d+) too many\)",
                      refused.value.message)
    assert match, refused.value.message
    length, fits, over = map(int, match.groups())
    assert length == len(accession) and length - fits == over and over > 0
    render(accession[:fits])
    with pytest.raises(DoesNotFit):
        render(accession[:fits + 1])
