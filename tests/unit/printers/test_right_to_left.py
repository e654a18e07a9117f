"""Hebrew and Arabic names: on Zebra labels they are drawn by Pillow with libraqm, in reading order and with
Arabic letters joined (proven against the same glyphs placed by hand in visual order); PDF labels, whose
reportlab text would come out reversed and unjoined, refuse them. The PDF text layer of every other name is the
name as confirmed, in order."""

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
from printers.fonts import font_path, text_bitmap
from printers.verify import verify


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


@pytest.mark.parametrize(("family", "given"), [("כהן", "דוד"), ("حداد", "ليلى")])
def test_right_to_left_names_print_on_zebras_and_are_refused_on_pdf(family: str, given: str,
                                                                     config: PrintersConfig) -> None:
    media = config.media[LabelType.CHART]
    assert [d.text for d in verify(render_zpl(_chart(family, given), media, 203)).decoded] == ["610000013"]
    with pytest.raises(UnprintableText, match="written right to left") as refused:
        render_pdf(_chart(family, given), media, dpi=203)
    assert family not in refused.value.message and given not in refused.value.message


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
