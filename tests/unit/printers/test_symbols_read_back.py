"""Every label type, at 203 and 300 dpi and as PDF, with hard names: rendered from the exact bytes
(zplkit for ZPL, pypdfium2 for PDF) and every symbol decoded with zxing-cpp equals the intended value.
A name the label font cannot draw is refused, never printed as empty boxes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from printers import LabelError, LabelType, PrintersConfig, SymbolMismatch, UnprintableText, render_pdf, render_zpl
from printers.layout import datamatrix_content, layout_for
from printers.model import RenderedLabel
from printers.pdf import PdfWriter
from printers.verify import decode, first_format, rasterize_pdf, rasterize_zpl, verify
from tests.unit.printers.conftest import NAMES, PRINTABLE, UNPRINTABLE, make_label, patient


def expected(label_type: LabelType) -> set[tuple[str, str]]:
    if label_type is LabelType.SPECIMEN:
        return {("Code128", "S26-000123")}
    if label_type is LabelType.CHART:
        return {("Code128", "610000013")}
    return {("Code128", "610000013"), ("DataMatrix", datamatrix_content("20000074", "610000013"))}


def test_the_long_name_is_eighty_characters_as_printed() -> None:
    assert len(patient("eighty").name_last_first) == 80


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", list(LabelType))
def test_zpl_symbols_decode_to_the_exact_identifiers(label_type: LabelType, dpi: int, name: str,
                                                     config: PrintersConfig) -> None:
    label = make_label(label_type, name)
    if name in UNPRINTABLE:
        with pytest.raises(UnprintableText, match="patient name contains characters that the label font cannot "
                                                  "print") as refused:
            render_zpl(label, config.media[label_type], dpi)
        assert not set(refused.value.message) & set("".join(NAMES[name][1]) + NAMES[name][0])
        return
    rendered = render_zpl(label, config.media[label_type], dpi)
    images = rasterize_zpl(first_format(rendered.data), dpi)
    assert len(images) == 1
    found = {(d.kind, d.text) for d in decode(images[0])}
    assert found == expected(label_type)
    assert verify(rendered).decoded  # the kiosk's own check agrees


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", list(LabelType))
def test_pdf_symbols_decode_to_the_exact_identifiers_at_the_printers_resolution(
        label_type: LabelType, dpi: int, name: str, config: PrintersConfig) -> None:
    label = make_label(label_type, name)
    if name in UNPRINTABLE:
        with pytest.raises(UnprintableText):
            render_pdf(label, config.media[label_type], dpi=dpi)
        return
    rendered = render_pdf(label, config.media[label_type], copies=2, dpi=dpi)
    pages = rasterize_pdf(rendered.data, dpi)
    assert len(pages) == 2
    for page in pages:
        assert {(d.kind, d.text) for d in decode(page)} == expected(label_type)
    assert verify(rendered).labels == 2  # the kiosk's check decodes every page


@pytest.mark.parametrize("label_type", list(LabelType))
def test_copies_are_one_format_with_pq_and_the_format_rendered_is_what_prints(label_type: LabelType,
                                                                              config: PrintersConfig) -> None:
    media = config.media[label_type]
    one = render_zpl(make_label(label_type, "accents"), media, 203)
    four = render_zpl(make_label(label_type, "accents"), media, 203, copies=4)
    assert four.data.count(b"^XA") == 1 and four.data.endswith(b"^PQ4,0,0,N\n^XZ\n")
    assert first_format(four.data) == one.data  # the only difference is the quantity
    assert first_format(one.data * 3) == one.data  # jobs stored before ^PQ repeated the format
    checked = verify(four)
    assert checked.labels == 4 and {(d.kind, d.text) for d in checked.decoded} == expected(label_type)


@pytest.mark.parametrize("tamper", [
    lambda d: d.replace(b"^PQ4,0,0,N\n", b"^PQ4,0,0,N\n^FO0,0^GB10,10,10^FS\n"),  # something after the quantity
    lambda d: d.replace(b"^PQ4,0,0,N", b"^PQ4,1,0,Y"),  # a quantity the kiosk never writes
    lambda d: d.replace(b"^XA^CI28", b"^XA^PQ2^CI28"),  # a second quantity, inside the format
    lambda d: d + d.replace(b"S26-", b"S27-"),  # a second, different format
])
def test_a_stream_that_is_not_the_format_plus_its_quantity_is_refused(tamper, config: PrintersConfig) -> None:  # type: ignore[no-untyped-def]
    four = render_zpl(make_label(LabelType.SPECIMEN, "accents"), config.media[LabelType.SPECIMEN], 203, copies=4)
    with pytest.raises(LabelError):
        verify(replace(four, data=tamper(four.data)))


def test_a_quantity_other_than_the_copies_asked_is_refused(config: PrintersConfig) -> None:
    four = render_zpl(make_label(LabelType.CHART, "accents"), config.media[LabelType.CHART], 203, copies=4)
    with pytest.raises(SymbolMismatch, match="another number of copies"):
        verify(replace(four, data=four.data.replace(b"^PQ4,", b"^PQ9,")))


def test_a_pdf_whose_later_page_carries_another_symbol_is_refused(config: PrintersConfig) -> None:
    media = config.media[LabelType.CHART]
    good = render_pdf(make_label(LabelType.CHART, "accents"), media, copies=2)
    writer = PdfWriter(media, 300)
    writer.page(layout_for(make_label(LabelType.CHART, "accents"), media))
    writer.page(layout_for(make_label(LabelType.SPECIMEN, "accents"), media))  # page 2: the accession
    mixed = RenderedLabel("pdf", writer.document(), 0, media, 2, good.symbols)
    with pytest.raises(SymbolMismatch, match="refused to print"):
        verify(mixed)


@pytest.mark.parametrize("label_type", list(LabelType))
def test_the_same_label_gives_the_same_bytes(label_type: LabelType, config: PrintersConfig) -> None:
    """The print compares its bytes with the previewed ones, so rendering must be deterministic."""
    label = make_label(label_type, "vietnamese")
    media = config.media[label_type]
    assert render_pdf(label, media).data == render_pdf(label, media).data
    assert render_zpl(label, media, 300).data == render_zpl(label, media, 300).data


def test_every_printable_test_name_is_in_the_label_font() -> None:
    from printers.fonts import can_draw

    assert all(can_draw(patient(name).name_last_first) for name in PRINTABLE)
    assert not any(can_draw(patient(name).name_last_first) for name in UNPRINTABLE)
