"""Text fitting: identifiers never shortened (refused instead), other text shortened with a visible
ellipsis; both in ZPL and PDF."""

from __future__ import annotations

from datetime import date

import pytest

from printers import (
    ArmbandLabel,
    DoesNotFit,
    EncounterDetails,
    LabelType,
    Media,
    PatientIdentity,
    PrintersConfig,
    SpecimenLabel,
    render_pdf,
    render_zpl,
)
from printers.fit import fit_text
from printers.layout import TextBox
from printers.model import label_date


def width(text: str, size: float) -> float:
    return len(text) * size * 0.5


def test_an_identifier_wraps_and_shrinks_but_is_never_shortened() -> None:
    box = TextBox(0, 0, 20, 9, "GARCIA-LOPEZ, Maria Jose", size=3, min_size=2, identifier="patient name",
                  max_lines=2)
    fitted = fit_text(box, width)
    assert " ".join(fitted.lines) == box.text and not fitted.shortened
    with pytest.raises(DoesNotFit, match="patient name is too long to print in full"):
        fit_text(TextBox(0, 0, 10, 3, "GARCIA-LOPEZ, Maria Jose", size=3, min_size=2, identifier="patient name"),
                 width)


def test_other_text_is_shortened_with_an_ellipsis() -> None:
    box = TextBox(0, 0, 20, 3, "Att HERNANDEZ-VILLANUEVA, Maria Guadalupe", size=2, min_size=1.5)
    fitted = fit_text(box, width)
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


def test_long_attending_names_are_shortened_visibly_on_the_armband(config: PrintersConfig) -> None:
    p = PatientIdentity("Okafor", ("Chinedu",), date(1948, 3, 12), "20000000", "male")
    e = EncounterDetails("610000013", date(2026, 11, 20),
                         "HERNANDEZ-VILLANUEVA DE LOS SANTOS-WOLFESCHLEGELSTEIN, Maria Guadalupe Concepcion Ximena",
                         ("Allergy: penicillin, amoxicillin, cephalexin, sulfamethoxazole, latex, shellfish",))
    zpl = render_zpl(ArmbandLabel(p, e), config.media[LabelType.INFANT_ARMBAND], 203).data.decode()
    assert "..._FS" not in zpl and "...^FS" in zpl  # shortened, with a visible ellipsis
    assert "OKAFOR, Chinedu" in zpl and "MRN 20000000" in zpl and "DOB 12 Mar 1948" in zpl


def test_dates_are_unambiguous() -> None:
    assert label_date(date(1985, 11, 2)) == "02 Nov 1985"
