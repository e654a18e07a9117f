"""ZPL details: field escaping, UTF-8, resolution scaling, rotation, and the read-back refusal."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from printers import LabelType, Media, PrintersConfig, SymbolMismatch, render_zpl, verify
from printers.model import RenderedLabel
from printers.verify import rasterize_zpl
from printers.zpl import code128_field, code128_modules, fh_escape
from tests.unit.printers.conftest import make_label


def test_field_data_escapes_the_zpl_specials_and_every_non_ascii_byte() -> None:
    assert fh_escape("O'Brien^~_<&>-") == "O'Brien_5E_7E_5F<&>-"
    assert fh_escape("Zoë") == "Zo_C3_AB"
    assert fh_escape("Nguyễn") == "Nguy_E1_BB_85n"
    assert fh_escape("tab\there") == "tab_09here"


def test_every_field_is_hex_escaped_and_the_label_is_utf8(config: PrintersConfig) -> None:
    rendered = render_zpl(make_label(LabelType.ADULT_ARMBAND, "specials"), config.media[LabelType.ADULT_ARMBAND],
                          203)
    zpl = rendered.data.decode("ascii")  # plain ASCII on the wire
    assert zpl.startswith("^XA^CI28")
    fields = re.findall(r"\^FD(.*?)\^FS", zpl)
    assert fields and all("^" not in f and "~" not in f for f in fields)
    assert zpl.count("^FD") == zpl.count("^FH_^FD")
    assert "O'BRIEN-_5ESMITH_7EJONES, <Mary> & Ann_5FLee" in zpl  # the name, as native font-0 text


def test_accented_names_print_as_a_graphic_that_the_preview_shows(config: PrintersConfig) -> None:
    rendered = render_zpl(make_label(LabelType.CHART, "vietnamese"), config.media[LabelType.CHART], 203)
    assert b"^GFA," in rendered.data
    assert b"Nguy" not in rendered.data.upper()  # the name is drawn, not sent as text the printer may lack


def test_code128_data_uses_invocation_codes_for_zpl_specials() -> None:
    assert code128_field("A^B>C~D", "accession number") == (">:A><B>0C>=D", 7)
    assert code128_field("610000", "encounter number") == (">;610000", 3)
    assert code128_modules(3) == 11 * 5 + 13


@pytest.mark.parametrize("label_type", list(LabelType))
def test_positions_and_module_widths_scale_with_the_resolution(label_type: LabelType,
                                                               config: PrintersConfig) -> None:
    media = config.media[label_type]
    low = render_zpl(make_label(label_type, "accents"), media, 203).data.decode()
    high = render_zpl(make_label(label_type, "accents"), media, 300).data.decode()
    w_low, l_low = map(int, re.search(r"\^PW(\d+)\^LL(\d+)", low).groups())  # type: ignore[union-attr]
    w_high, l_high = map(int, re.search(r"\^PW(\d+)\^LL(\d+)", high).groups())  # type: ignore[union-attr]
    assert (w_low, l_low) == (round(media.height_mm * 203 / 25.4), round(media.width_mm * 203 / 25.4)) \
        if media.rotated else (round(media.width_mm * 203 / 25.4), round(media.height_mm * 203 / 25.4))
    assert abs(w_high / w_low - 300 / 203) < 0.02 and abs(l_high / l_low - 300 / 203) < 0.02
    # Bar modules: 0.25 mm is 2 dots at 203 dpi and 3 dots at 300 dpi.
    assert re.search(r"\^BY(\d+),", low).group(1) == "2"  # type: ignore[union-attr]
    assert re.search(r"\^BY(\d+),", high).group(1) == "3"  # type: ignore[union-attr]
    # Symbols sit at the same physical place: their origins scale by 300/203 (within rounding).
    symbol_origin = r"\^FO(\d+),(\d+)\^B[YX]"
    fo_low = [tuple(map(int, m)) for m in re.findall(symbol_origin, low)]
    fo_high = [tuple(map(int, m)) for m in re.findall(symbol_origin, high)]
    assert fo_low
    assert len(fo_low) == len(fo_high)
    # Modules are whole dots (a 0.4 mm cell is 3 dots at 203 dpi, 5 at 300), so a rotated symbol's
    # origin, measured from its far edge, may move by its rounding: within 1 mm.
    one_mm = 300 / 25.4
    for (xl, yl), (xh, yh) in zip(fo_low, fo_high, strict=True):
        assert abs(xh - xl * 300 / 203) <= one_mm and abs(yh - yl * 300 / 203) <= one_mm


def test_rotated_media_print_every_field_turned(config: PrintersConfig) -> None:
    media = config.media[LabelType.ADULT_ARMBAND]
    assert media.rotated
    zpl = render_zpl(make_label(LabelType.ADULT_ARMBAND, "irish"), media, 203).data.decode()
    assert re.search(r"\^BCR,", zpl) and re.search(r"\^BXR,", zpl) and re.search(r"\^A0R,", zpl)
    image = rasterize_zpl(zpl.encode(), 203)[0]
    assert image.width < image.height  # across the head, the band is narrow


def test_a_label_whose_symbols_do_not_read_back_is_refused(config: PrintersConfig) -> None:
    good = render_zpl(make_label(LabelType.SPECIMEN, "accents"), config.media[LabelType.SPECIMEN], 203)
    # What the printer would get if a layout bug garbled the field: another accession.
    garbled = good.data.replace(b">:S26-000123", b">:S26-000128")
    with pytest.raises(SymbolMismatch, match="refused to print"):
        verify(replace(good, data=garbled))
    # A symbol drawn too small to scan: Data Matrix cells of one dot.
    armband = render_zpl(make_label(LabelType.ADULT_ARMBAND, "accents"), config.media[LabelType.ADULT_ARMBAND], 203)
    tiny = re.sub(rb"\^BXR,\d+,", b"^BXR,1,", armband.data)
    with pytest.raises(SymbolMismatch):
        verify(RenderedLabel("zpl", tiny, 203, armband.media, 1, armband.symbols))


def test_infant_armbands_are_smaller_than_adult_ones(config: PrintersConfig) -> None:
    adult, infant = config.media[LabelType.ADULT_ARMBAND], config.media[LabelType.INFANT_ARMBAND]
    a = rasterize_zpl(render_zpl(make_label(LabelType.ADULT_ARMBAND, "accents"), adult, 300).data, 300)[0]
    i = rasterize_zpl(render_zpl(make_label(LabelType.INFANT_ARMBAND, "accents"), infant, 300).data, 300)[0]
    assert (i.width, i.height) == (round(infant.height_mm * 300 / 25.4), round(infant.width_mm * 300 / 25.4))
    assert i.width < a.width and i.height < a.height


def test_media_are_validated() -> None:
    with pytest.raises(ValueError):
        Media("too small", 2, 2)
    assert Media("specimen", 50.8, 25.4).size_text == "2 × 1 in"
    assert date(2026, 1, 1)  # dates in labels come from label_date (see test_fit)
