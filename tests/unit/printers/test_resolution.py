"""Labels at the resolution of the printer they go to: a PDF's bars are whole dots of that printer, on its dot
grid, and are checked at that resolution; at 152 dpi (one dot 0.167 mm) no bar is narrower than Code 128's
0.19 mm: it is two dots, or the stock is refused."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import zxingcpp
from PIL import Image

from printers import DoesNotFit, LabelType, PrintersConfig, ScanIdentifier, render_pdf, render_zpl
from printers.layout import MIN_MODULE_MM, datamatrix_content
from printers.model import ArmbandLabel, ChartLabel
from printers.verify import decode, first_format, rasterize_pdf, rasterize_zpl, verify
from tests.unit.printers.conftest import make_label


def _runs(row: list[int]) -> list[int]:
    """Widths of the bars and spaces along a row, without the partial runs at its two ends."""
    return [len(m.group()) for m in re.finditer(r"0+|1+", "".join("1" if v < 128 else "0" for v in row))][1:-1]


def _code128_row(image: Image.Image) -> tuple[int, list[int]]:
    """A row through the middle of the Code 128, and its pixels from the symbol's left to its right edge."""
    found = [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.Code128]
    assert found, "no Code 128 found"
    pos = found[0].position
    xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
    ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
    y = (min(ys) + max(ys)) // 2
    return y, [image.getpixel((x, y)) for x in range(min(xs), max(xs) + 1)]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", [LabelType.CHART, LabelType.SPECIMEN])
def test_pdf_bars_are_whole_dots_of_the_printer_on_its_grid(label_type: LabelType, dpi: int,
                                                           config: PrintersConfig) -> None:
    """Rendered at the printer's resolution, a bar on the dot grid has no grey edge pixel: each column is
    all ink or all paper (a 0.25 mm bar at 203 dpi is 1.998 dots, and landed on the grid only by chance)."""
    rendered = render_pdf(make_label(label_type, "accents"), config.media[label_type], dpi=dpi)
    page = rasterize_pdf(rendered.data, dpi)[0]
    _, row = _code128_row(page)
    grey = [v for v in row if 40 < v < 215]
    assert grey == []
    runs = _runs(row)
    module = min(runs)
    assert module * 25.4 / dpi >= MIN_MODULE_MM and all(r % module == 0 for r in runs)


@pytest.mark.parametrize("label_type", list(LabelType))
@pytest.mark.parametrize("scan", list(ScanIdentifier))
def test_pdf_armbands_scanning_either_identifier_decode_at_203_dpi(label_type: LabelType, scan: ScanIdentifier,
                                                                   config: PrintersConfig) -> None:
    label = make_label(label_type, "eighty")
    if isinstance(label, ArmbandLabel | ChartLabel):
        label = replace(label, scan=scan)
    rendered = render_pdf(label, config.media[label_type], dpi=203)
    assert rendered.dpi == 203
    found = {(d.kind, d.text) for d in decode(rasterize_pdf(rendered.data, 203)[0])}
    scanned = "20000074" if scan is ScanIdentifier.MRN else "610000013"
    want = {("Code128", "S26-000123")} if label_type is LabelType.SPECIMEN else {("Code128", scanned)}
    if label_type.is_armband:
        want.add(("DataMatrix", datamatrix_content("20000074", "610000013")))
    assert found == want
    assert verify(rendered).decoded  # the kiosk's check renders at the printer's 203 dpi


@pytest.mark.parametrize("language", ["zpl", "pdf"])
@pytest.mark.parametrize("label_type", list(LabelType))
def test_at_152_dpi_bars_are_never_under_the_codes_minimum(label_type: LabelType, language: str,
                                                            config: PrintersConfig) -> None:
    """One dot at 152 dpi is 0.167 mm: every bar is at least two dots (0.334 mm), or the stock is refused."""
    label, media = make_label(label_type, "accents"), config.media[label_type]
    try:
        rendered = render_zpl(label, media, 152) if language == "zpl" else render_pdf(label, media, dpi=152)
    except DoesNotFit as refused:
        assert "at 152 dpi" in refused.message
        return
    if language == "zpl":
        modules = [int(m) for m in re.findall(rb"\^BY(\d+),", rendered.data)]
        assert modules and min(modules) >= 2
        image = rasterize_zpl(first_format(rendered.data), 152)[0]
    else:
        image = rasterize_pdf(rendered.data, 152)[0]
        _, row = _code128_row(image)
        assert min(_runs(row)) >= 2
    assert verify(rendered).decoded


def test_at_152_dpi_a_stock_too_small_for_two_dot_bars_is_refused(config: PrintersConfig) -> None:
    """44 mm holds the accession's bars at 203 dpi (2 dots, 0.25 mm), not at 152 (2 dots, 0.334 mm)."""
    media = replace(config.media[LabelType.SPECIMEN], width_mm=44)
    label = make_label(LabelType.SPECIMEN, "accents")
    assert verify(render_zpl(label, media, 203)).decoded
    for render in (lambda: render_zpl(label, media, 152), lambda: render_pdf(label, media, dpi=152)):
        with pytest.raises(DoesNotFit, match="does not fit on this label at a size scanners read reliably at 152 "
                                             "dpi"):
            render()
