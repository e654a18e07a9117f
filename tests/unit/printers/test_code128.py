"""Code 128 with the fewest symbol characters (subset C for digit pairs, B for the rest, switching where that is
shorter), the same symbol on a Zebra and in a PDF: identifiers of 6 to 24 characters of every shape, on chart
labels and adult armbands at 203 and 300 dpi, ZPL and PDF, each decoded with zxing-cpp to the exact value, or
refused as not fitting, never printed otherwise."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from printers import (
    ArmbandLabel,
    ChartLabel,
    DoesNotFit,
    EncounterDetails,
    LabelType,
    PatientIdentity,
    PrintersConfig,
    render_pdf,
    render_zpl,
)
from printers.code128 import encode
from printers.verify import decode, first_format, rasterize_pdf, rasterize_zpl

SHAPES = {
    "digits": lambda n: "".join(str((7 * i + 3) % 10) for i in range(n)),
    "leading zeros": lambda n: "00" + "".join(str((3 * i + 1) % 10) for i in range(n - 2)),
    "letters": lambda n: "".join(chr(65 + (5 * i) % 26) for i in range(n)),
    "letter then digits": lambda n: "E" + "".join(str(i % 10) for i in range(n - 1)),
    "digits then letters": lambda n: "".join(str(i % 10) for i in range(n - 3)) + "XYZ",
    "mixed": lambda n: "".join("AB12345C6789"[i % 12] for i in range(n)),
    "hyphenated": lambda n: ("S26-" + "".join(str(i % 10) for i in range(n)))[:n],
    "specials": lambda n: ("^~_>x" + "".join(str(i % 10) for i in range(n)))[:n],
}
IDENTIFIERS = [(shape, make(n)) for shape, make in SHAPES.items() for n in range(6, 25)]


def _fewest(data: str) -> int:
    """Fewest characters by trying every way of writing `data` (small inputs only): each step writes one
    character in B, a digit pair in C, or switches (never twice in a row, which cannot help)."""
    def go(rest: str, subset: str, switched: bool) -> int:
        if not rest:
            return 0
        options = [] if switched else [1 + go(rest, "B" if subset == "C" else "C", True)]
        if subset == "B":
            options.append(1 + go(rest[1:], "B", False))
        elif rest[:2].isdigit() and len(rest) >= 2:
            options.append(1 + go(rest[2:], "C", False))
        return min(options) if options else 99
    return min(go(data, "B", True), go(data, "C", True))


@pytest.mark.parametrize("data", ["".join(p) for n in range(1, 7) for p in itertools.product("12A", repeat=n)])
def test_the_encoding_is_as_short_as_any_way_of_writing_it(data: str) -> None:
    assert encode(data).symbol_chars == _fewest(data)


def test_subsets_switch_where_it_pays() -> None:
    assert encode("12345").symbol_chars == 4  # one B, a switch, two pairs (was five in subset B)
    assert encode("AB1234567890CD").runs == (("B", "AB"), ("C", "1234567890"), ("B", "CD"))
    assert encode("A1234567890123456789").symbol_chars == 12  # 20 characters in 12
    assert encode("1234").zpl_field() == ">;1234" and encode("S26-004512").zpl_field() == ">:S26->5004512"
    assert encode("^~>_").zpl_field() == ">:><>=>0_"


def _label(label_type: LabelType, identifier: str) -> ArmbandLabel | ChartLabel:
    patient = PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), "20000074", "female")
    details = EncounterDetails(identifier, date(2026, 11, 20), "ADEYEMI, Folake")
    if label_type is LabelType.CHART:
        return ChartLabel(patient, details)
    return ArmbandLabel(patient, details)


def _decoded(label: ArmbandLabel | ChartLabel, config: PrintersConfig, language: str, dpi: int) -> set[str] | None:
    """The Code 128 values read off the rendered label, or None when the label is refused as not fitting."""
    media = config.media[label.label_type]
    try:
        if language == "zpl":
            rendered = render_zpl(label, media, dpi)
            image = rasterize_zpl(first_format(rendered.data), dpi)[0]
        else:
            rendered = render_pdf(label, media, dpi=dpi)
            image = rasterize_pdf(rendered.data, dpi)[0]
    except DoesNotFit as refused:
        assert "barcode does not fit" in refused.message or "too long to print in full" in refused.message
        return None
    return {d.text for d in decode(image) if d.kind == "Code128"}


@pytest.mark.parametrize("language", ["zpl", "pdf"])
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", [LabelType.CHART, LabelType.ADULT_ARMBAND])
def test_identifiers_of_every_shape_decode_exactly_or_are_refused(label_type: LabelType, dpi: int, language: str,
                                                                   config: PrintersConfig) -> None:
    fitted = set()
    for shape, identifier in IDENTIFIERS:
        found = _decoded(_label(label_type, identifier), config, language, dpi)
        if found is not None:
            assert found == {identifier}, (shape, identifier)
            fitted.add((shape, len(identifier)))
    # What subset switching makes fit, as the issue asked: odd-length numbers and 20 mixed characters.
    assert {("digits", 23), ("letter then digits", 20), ("leading zeros", 21)} <= fitted
    if label_type is LabelType.ADULT_ARMBAND:  # numbers of any length and shape up to 24 fit on the band
        assert {(shape, n) for shape in ("digits", "leading zeros", "letter then digits", "hyphenated")
                for n in range(6, 25)} <= fitted


def test_a_chart_label_for_a_twenty_character_mixed_identifier_is_no_longer_refused(config: PrintersConfig) -> None:
    label = _label(LabelType.CHART, "A1234567890123456789")
    assert _decoded(label, config, "zpl", 203) == {"A1234567890123456789"}
    assert _decoded(label, config, "pdf", 203) == {"A1234567890123456789"}
