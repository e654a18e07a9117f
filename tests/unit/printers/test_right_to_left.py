"""Hebrew and Arabic names: on Zebra labels they are drawn by Pillow with libraqm, in reading order and with
Arabic letters joined (proven against the same glyphs placed by hand in visual order); PDF labels draw exactly
those dots on the printer's dot grid (proven by rendering the PDF at the printer's resolution), with the name
in reading order in the text layer. The PDF text layer of every name is the name as confirmed, in order."""

from __future__ import annotations

from datetime import date

import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFont

from printers import (
    ChartLabel,
    EncounterDetails,
    LabelType,
    PatientIdentity,
    PrintersConfig,
    UnprintableText,
    render_pdf,
    render_zpl,
)
from printers.fit import fit_text
from printers.fonts import font_path, text_bitmap
from printers.layout import layout_for
from printers.pdf import PdfMetrics
from printers.verify import rasterize_pdf, verify


def _by_hand(visual: str, pixels: int) -> Image.Image:
    """The glyphs of `visual` placed left to right with no shaping at all (Pillow's basic layout), as dots."""
    font = ImageFont.truetype(str(font_path()), pixels, layout_engine=ImageFont.Layout.BASIC)
    left, top, right, bottom = font.getbbox(visual, anchor="ls")
    canvas = Image.new("L", (right - left + 8, bottom - top + 8), 255)
    ImageDraw.Draw(canvas).text((4 - left, 4 - top), visual, font=font, fill=0, anchor="ls")
    bits = canvas.point(lambda v: 255 if v < 128 else 0, mode="1")
    return bits.crop(bits.getbbox())


@pytest.mark.parametrize(("logical", "visual"), [
    ("כהן", "ןהכ"),  # Hebrew: right to left
    ("محمد", "\ufeaa\ufee4\ufea4\ufee3"),  # Arabic: right to left, and joined (final dal ... initial meem)
])
@pytest.mark.parametrize("pixels", [32, 40])  # sizes whose advances are whole pixels both ways
def test_zebra_label_text_is_in_reading_order_and_joined(logical: str, visual: str, pixels: int) -> None:
    drawn = text_bitmap(logical, pixels).bits
    drawn = drawn.crop(drawn.getbbox())
    assert drawn.tobytes() == _by_hand(visual, pixels).tobytes()
    assert drawn.tobytes() != _by_hand(logical, pixels).tobytes()  # not the letters as stored, left to right


def _chart(family: str, given: str) -> ChartLabel:
    return ChartLabel(PatientIdentity(family, (given,), date(1980, 5, 6), "20000074"), EncounterDetails("610000013"))


def _pdf_dots(data: bytes, dpi: int) -> Image.Image:
    """The PDF's page as the printer's dots (1: a dot printed)."""
    [page] = rasterize_pdf(data, dpi)
    return page.point(lambda v: 255 if v < 128 else 0, mode="1")


def _find(page: Image.Image, bits: Image.Image, near: tuple[int, int], reach: int = 3) -> bool:
    """Is `bits` on the page, dot for dot, with its top left within `reach` dots of `near`?"""
    want = bits.tobytes()
    return any(page.crop((near[0] + dx, near[1] + dy, near[0] + dx + bits.width, near[1] + dy + bits.height))
               .tobytes() == want for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1))


@pytest.mark.parametrize(("family", "given"), [("כהן", "דוד"), ("حداد", "ليلى")])
@pytest.mark.parametrize("dpi", [203, 300])
def test_right_to_left_names_print_in_reading_order_on_zebras_and_on_pdf(family: str, given: str, dpi: int,
                                                                         config: PrintersConfig) -> None:
    media = config.media[LabelType.CHART]
    label = _chart(family, given)
    assert [d.text for d in verify(render_zpl(label, media, dpi)).decoded] == ["610000013"]
    pdf = render_pdf(label, media, dpi=dpi)
    assert [d.text for d in verify(pdf).decoded] == ["610000013"]
    [box] = [b for b in layout_for(label, media).texts if b.text == label.patient.name_last_first]
    metrics = PdfMetrics(dpi)
    fitted = fit_text(box, metrics)
    per_mm = dpi / 25.4
    page = _pdf_dots(pdf.data, dpi)
    for i, line in enumerate(fitted.lines):
        drawn = text_bitmap(line, metrics.dots.pixels(fitted.size))
        near = (round(box.x * per_mm) + drawn.left, round((box.y + fitted.baseline_of(i)) * per_mm) + drawn.top)
        assert _find(page, drawn.bits, near), line  # Pillow's dots, in reading order and joined, dot for dot
    document = pypdfium2.PdfDocument(pdf.data)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    lines = [" ".join(line.split()) for line in text.split("\n")]
    # The layer holds the name in reading order; pdfium gives a right-to-left line back in visual order.
    assert label.patient.name_last_first[::-1] in lines
    assert "MRN 20000074 Enc 610000013" in lines
    # Below the name the label is dot for dot the one of a Latin name: the invisible copy hides nothing else.
    latin = _pdf_dots(render_pdf(_chart("HADDAD", "Layla"), media, dpi=dpi).data, dpi)
    below = (0, round((box.y + box.h) * per_mm), page.width, page.height)
    assert page.crop(below).tobytes() == latin.crop(below).tobytes()


def test_without_libraqm_right_to_left_names_are_refused_on_pdf_too(config: PrintersConfig,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("printers.pdf.can_shape", lambda: False)
    monkeypatch.setattr("printers.fit.can_shape", lambda: False)
    with pytest.raises(UnprintableText, match="written right to left") as refused:
        render_pdf(_chart("حداد", "ليلى"), config.media[LabelType.CHART], dpi=203)
    assert "حداد" not in refused.value.message


@pytest.mark.parametrize(("family", "given"), [("García-López", "María José"), ("Nguyễn", "Thị Mai"),
                                               ("Παπαδόπουλος", "Ёлка")])
def test_the_pdf_text_layer_is_the_name_as_confirmed(family: str, given: str, config: PrintersConfig) -> None:
    label = _chart(family, given)
    pdf = pypdfium2.PdfDocument(render_pdf(label, config.media[LabelType.CHART], dpi=300).data)
    try:
        text = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    lines = [" ".join(line.split()) for line in text.split("\n")]  # the text layer keeps one space of a run
    assert label.patient.name_last_first in lines
    assert "MRN 20000074 Enc 610000013" in lines
