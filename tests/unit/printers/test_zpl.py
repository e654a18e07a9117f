"""ZPL details: field escaping, text as bitmaps that are never clipped, resolution scaling, rotation, and
the read-back refusal."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from printers import LabelType, Media, PrintersConfig, SymbolMismatch, render_zpl, verify
from printers.fonts import render_ink, text_bitmap
from printers.model import RenderedLabel, label_date
from printers.verify import rasterize_zpl
from printers.zpl import code128_field, code128_modules, compress_row, fh_escape, graphic_field, lay_out
from tests.unit.printers.conftest import PRINTABLE, make_label, patient


def test_field_data_escapes_the_zpl_specials_and_every_non_ascii_byte() -> None:
    assert fh_escape("O'Brien^~_<&>-") == "O'Brien_5E_7E_5F<&>-"
    assert fh_escape("Zoë") == "Zo_C3_AB"
    assert fh_escape("Nguyễn") == "Nguy_E1_BB_85n"
    assert fh_escape("tab\there") == "tab_09here"


def test_every_field_is_hex_escaped_and_the_label_is_utf8(config: PrintersConfig) -> None:
    label = make_label(LabelType.SPECIMEN, "specials")
    specimen = replace(label, accession="S26^~_1")  # type: ignore[type-var]
    rendered = render_zpl(specimen, config.media[LabelType.SPECIMEN], 203)
    zpl = rendered.data.decode("ascii")  # plain ASCII on the wire
    assert zpl.startswith("^XA^CI28")
    fields = re.findall(r"\^FD(.*?)\^FS", zpl)
    assert fields and all("^" not in f and "~" not in f for f in fields)
    assert zpl.count("^FD") == zpl.count("^FH_^FD")
    assert "^FH_^FD>:S26><>=_5F1^FS" in zpl  # the accession's ^ ~ _ as Code 128 invocation codes and escapes
    assert "BRIEN" not in zpl and "Mary" not in zpl  # the name is drawn, never sent as text


def decode_graphic(field: str) -> Image.Image:
    """A ^GFA field (plain or ASCII-compressed hex) back to a 1-bit image (1 = ink)."""
    total, _, row_bytes, data = re.fullmatch(r"\^GFA,(\d+),(\d+),(\d+),(.*)", field).groups()  # type: ignore[union-attr]
    width_hex, rows, row, previous = int(row_bytes) * 2, [], "", ""
    counts = {c: i + 1 for i, c in enumerate("GHIJKLMNOPQRSTUVWXY")} | \
        {c: 20 * (i + 1) for i, c in enumerate("ghijklmnopqrstuvwxyz")}
    repeat = 0
    for ch in data:
        if ch in counts:
            repeat += counts[ch]
        elif ch == ",":
            row = row.ljust(width_hex, "0")
        elif ch == ":":
            row = previous
        else:
            row += ch * (repeat or 1)
            repeat = 0
        if len(row) >= width_hex:
            rows.append(row[:width_hex])
            previous, row = row[:width_hex], ""
    packed = bytes.fromhex("".join(rows))
    assert len(packed) == int(total)
    return Image.frombytes("1", (int(row_bytes) * 8, len(rows)), packed)


def text_graphics(zpl: str) -> list[Image.Image]:
    return [decode_graphic(f) for f in re.findall(r"\^FO\d+,\d+(?:\^FR)?(\^GFA,[^\^]*)\^FS", zpl)]


def ink_touches_the_edge(bits: Image.Image) -> bool:
    """Rows are padded to whole bytes with blank dots, so a bitmap whose ink reaches its last column
    still shows a blank right edge here; the top, bottom and left edges are exact."""
    ink = bits.getbbox()
    return ink is not None and (ink[0] == 0 or ink[1] == 0 or ink[3] == bits.height or ink[2] == bits.width)


@pytest.mark.parametrize("name", PRINTABLE)
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", list(LabelType))
def test_no_line_of_text_is_clipped(label_type: LabelType, dpi: int, name: str, config: PrintersConfig) -> None:
    """Every text bitmap in the stream has a blank border: no mark (the tilde of Ễ, the dot under ị) was
    cut off at its edge."""
    zpl = render_zpl(make_label(label_type, name), config.media[label_type], dpi).data.decode("ascii")
    graphics = text_graphics(zpl)
    assert graphics
    for bits in graphics:
        # Rows are padded to whole bytes: the padding bits are blank, the bitmap's own edge is what counts.
        assert not ink_touches_the_edge(bits), f"text clipped at the edge of a {bits.size} bitmap"


@pytest.mark.parametrize("name", PRINTABLE)
@pytest.mark.parametrize("pixels", [14, 27, 40, 53, 80])
def test_a_text_bitmap_holds_exactly_the_ink_of_an_unclipped_rendering(name: str, pixels: int) -> None:
    line = patient(name).name_last_first
    bitmap = text_bitmap(line, pixels)
    edge = bitmap.bits.getbbox()
    assert edge == (1, 1, bitmap.width - 1, bitmap.height - 1)  # ink on every side, one blank dot beyond it
    free, origin_x, origin_y = render_ink(line, pixels, pad=3 * pixels)  # far more room than the text needs
    ink = free.getbbox()
    assert ink is not None
    assert (ink[2] - ink[0], ink[3] - ink[1]) == (bitmap.width - 2, bitmap.height - 2)
    assert (ink[0] - origin_x, ink[1] - origin_y) == (bitmap.left + 1, bitmap.top + 1)
    assert free.crop(ink).tobytes() == bitmap.bits.crop(edge).tobytes()


def test_stacked_marks_are_printed_and_never_reach_the_next_line(config: PrintersConfig) -> None:
    """NGUYỄN keeps its tilde over the circumflex on the printed raster, and no line's ink (the dot under
    ị included) leaves its box or reaches the line below."""
    media = config.media[LabelType.ADULT_ARMBAND]
    for dpi in (203, 300):
        label = make_label(LabelType.ADULT_ARMBAND, "vietnamese")
        writer = lay_out(label, media, dpi)
        printed = rasterize_zpl(render_zpl(label, media, dpi).data, dpi)[0].transpose(Image.Transpose.ROTATE_90)
        name = next(p for p in writer.placed if p.box.identifier == "patient name")
        assert name.line == "NGUYỄN, Thị Mai"
        at = name.at
        region = printed.crop((at.x, at.y, at.x + at.w, at.y + at.h)).point(lambda v: 255 if v < 128 else 0, "1")
        assert region.tobytes() == text_bitmap(name.line, name.pixels).bits.tobytes()
        for placed in writer.placed:
            box, at = placed.box, placed.at
            assert writer.dots(box.y) - 1 <= at.y + 1 and at.y + at.h - 1 <= writer.dots(box.y + box.h) + 1, \
                f"the {box.subject} leaves its box at {dpi} dpi"
        inks = [(p.at.x, p.at.y + 1, p.at.x + p.at.w, p.at.y + p.at.h - 1) for p in writer.placed]
        for i, (x0, top0, x1, bottom0) in enumerate(inks):
            for x2, top1, x3, bottom1 in inks[i + 1:]:
                if x0 < x3 and x2 < x1:  # one line above the other: their ink does not overlap
                    assert bottom0 <= top1 + 1 or bottom1 <= top0 + 1


def test_graphics_use_zpl_ascii_compression_and_read_back_exactly() -> None:
    assert compress_row("FFFF0000", None) == "JF,"
    assert compress_row("00000000", None) == ","
    assert compress_row("0F0F", "0F0F") == ":"
    assert compress_row("A" * 47 + "1", None) == "hMA1"  # 40 + 7
    bitmap = text_bitmap("NGUYỄN, Thị Mai", 60)
    field = graphic_field(bitmap.bits)
    assert decode_graphic(field).crop((0, 0, bitmap.width, bitmap.height)).tobytes() == bitmap.bits.tobytes()
    plain = bitmap.bits.tobytes().hex().upper()
    assert len(field) < len(plain) / 2


def _ink_runs(bits: Image.Image) -> list[tuple[int, int]]:
    """Runs of columns with ink, left to right: one per glyph when glyphs do not touch."""
    columns = [bits.crop((x, 0, x + 1, bits.height)).getbbox() is not None for x in range(bits.width)]
    runs, start = [], None
    for x, inked in enumerate([*columns, False]):
        if inked and start is None:
            start = x
        elif not inked and start is not None:
            runs.append((start, x))
            start = None
    return runs


@pytest.mark.parametrize("label_type", list(LabelType))
def test_every_line_is_in_the_one_label_typeface(label_type: LabelType, config: PrintersConfig) -> None:
    """No printer font at all: every ^FD is barcode data, every line of text a bitmap of the label font."""
    zpl = render_zpl(make_label(label_type, "specials"), config.media[label_type], 300).data.decode("ascii")
    assert "^A" not in zpl.replace("^XA", "")
    assert len(re.findall(r"\^FD", zpl)) == len(re.findall(r"\^B[CX]", zpl))
    assert len(text_graphics(zpl)) == len(lay_out(make_label(label_type, "specials"), config.media[label_type],
                                                  300).placed)


def test_a_hyphen_prints_as_a_hyphen_not_a_spaced_dash() -> None:
    """What the user compares with the screen reads the same: in 'Ji-woo' the hyphen is short and close to
    its letters (zplkit's font-0 emulation drew a long dash with space around it)."""
    em = 60
    runs = _ink_runs(text_bitmap("Ji-woo", em).bits)
    assert len(runs) == 6  # J i - w o o
    hyphen = runs[2]
    assert hyphen[1] - hyphen[0] < 0.4 * em
    assert hyphen[0] - runs[1][1] < 0.15 * em and runs[3][0] - hyphen[1] < 0.15 * em


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
    assert re.search(r"\^BCR,", zpl) and re.search(r"\^BXR,", zpl)
    # Text bitmaps are turned too: on the band they are taller than wide.
    assert all(g.height > g.width for g in text_graphics(zpl))
    image = rasterize_zpl(zpl.encode(), 203)[0]
    assert image.width < image.height  # across the head, the band is narrow


def test_a_label_whose_symbols_do_not_read_back_is_refused(config: PrintersConfig) -> None:
    good = render_zpl(make_label(LabelType.SPECIMEN, "accents"), config.media[LabelType.SPECIMEN], 203)
    # What the printer would get if a layout bug garbled the field: another accession.
    garbled = good.data.replace(b">:S26->5000123", b">:S26->5000128")
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


def test_dates_on_labels_name_the_month() -> None:
    assert label_date(date(2026, 1, 1)) == "01 Jan 2026"
    assert label_date(date(1985, 11, 2)) == "02 Nov 1985"
