"""PDF labels at the exact media size, for ordinary CUPS printers (reportlab).

Text is the label typeface (printers.fonts), fitted with the same rules as the ZPL labels; symbols are
drawn module by module (Code 128 from printers.code128, Data Matrix from zxing-cpp's matrix), each module a
whole number of the printer's dots, on its dot grid. A line written right to left (Hebrew, Arabic) is drawn
as the Zebra labels draw it: Pillow's dots (libraqm orders and joins it), laid on the printer's dot grid,
under an invisible copy of the line in reading order for the PDF's text layer. reportlab alone would set it
reversed with Arabic letters apart.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Iterator

import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from . import code128
from .errors import LabelError
from .fit import INVERSE_PAD, fit_text
from .fonts import REFERENCE_EM, ascent, can_shape, font_path, ink_extent, right_to_left, text_bitmap
from .layout import Layout, SymbolBox, TextBox, layout_for
from .model import Label, Media, RenderedLabel
from .zpl import QUIET_MODULES, SUPPORTED_DPI, ZplMetrics, label_name, module_dots

PDF_FONT = "KioskLabelSans-Bold"
#: A PDF printer's resolution when its settings do not give one.
DEFAULT_PDF_DPI = 300
#: How far inside its dots a module is drawn, in dots (see PdfWriter._cell).
CELL_INSET = 0.05


@functools.cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path())))
    return PDF_FONT


def _pt(size_mm: float) -> float:
    return size_mm * mm


class PdfMetrics:
    """Vector text: widths from the embedded font's metrics, ink from its glyph boxes (measured once at a
    large em size and scaled), in mm. A line written right to left is measured as it is drawn: in the
    printer's dots (ZplMetrics), where Pillow orders and joins it through libraqm; without libraqm it is
    refused, as on a Zebra."""

    def __init__(self, dpi: int = DEFAULT_PDF_DPI) -> None:
        self.dots = ZplMetrics(dpi / 25.4)
        self.shapes_right_to_left = can_shape()

    def width(self, text: str, size: float) -> float:
        if right_to_left(text):
            return self.dots.width(text, size)
        return pdfmetrics.stringWidth(text, _register_font(), _pt(size)) / mm

    def ink(self, text: str, size: float) -> tuple[float, float]:
        if right_to_left(text):
            return self.dots.ink(text, size)
        top, bottom = _ink(text)
        return top * size, bottom * size

    def ascent(self, size: float) -> float:
        return ascent(REFERENCE_EM) / REFERENCE_EM * size


@functools.lru_cache(maxsize=1024)
def _ink(text: str) -> tuple[float, float]:
    top, bottom = ink_extent(text, REFERENCE_EM)
    # One pixel of the reference size more each way: glyph boxes are rounded to whole pixels.
    return (top - 1) / REFERENCE_EM, (bottom + 1) / REFERENCE_EM


@functools.lru_cache(maxsize=512)
def symbol_matrix(kind: str, data: str) -> tuple[tuple[bool, ...], ...]:
    """Rows of modules (True = dark) of the symbol, without quiet zones."""
    if kind == "Code128":  # the same characters as the ZPL symbol: fewest, subsets B and C (printers.code128)
        return (tuple(m == "1" for m in code128.encode(data).pattern()),)
    try:
        barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix)
    except (ValueError, RuntimeError):
        raise LabelError(f"The {kind} symbol could not be encoded; nothing was printed.") from None
    view = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    rows, cols = view.shape
    raw = bytes(view)
    return tuple(tuple(raw[r * cols + c] < 128 for c in range(cols)) for r in range(rows))


def dark_runs(cells: Iterable[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark cells in a row: one rectangle each."""
    run = 0
    for i, dark in enumerate((*cells, False)):
        if dark:
            run += 1
        elif run:
            yield i - run, run
            run = 0


class PdfWriter:
    """One PDF page per label. Symbols are laid on the grid of the printer's dots (`dpi`): every module is a
    whole number of dots and starts on a dot, as on a Zebra, so the printer draws bars of exactly the widths
    the check decoded (a bar of 1.5 dots would print as 1 or 2 depending on where it falls)."""

    def __init__(self, media: Media, dpi: int):
        self.media = media
        self.dpi = dpi
        self.per_mm = dpi / 25.4
        self.buffer = io.BytesIO()
        # invariant: no timestamps or random ids, so the same label gives the same bytes (previewed == printed).
        self.canvas = Canvas(self.buffer, pagesize=(_pt(media.width_mm), _pt(media.height_mm)), pageCompression=1,
                             invariant=1)
        self.canvas.setTitle(f"{media.name} label")
        self.canvas.setCreator("Unit Coordinator Kiosk")
        self.font = _register_font()
        self.metrics = PdfMetrics(dpi)

    def _y(self, top_mm: float, height_mm: float) -> float:
        """reportlab's y grows upwards."""
        return _pt(self.media.height_mm - top_mm - height_mm)

    def _dot(self, mm_: float) -> int:
        return round(mm_ * self.per_mm)

    def _mm(self, dots: int) -> float:
        return dots / self.per_mm

    def text(self, box: TextBox) -> None:
        fitted = fit_text(box, self.metrics, label_name=label_name(self.media))
        c = self.canvas
        if box.inverse and fitted.lines:
            c.setFillGray(0)
            c.rect(_pt(box.x), self._y(box.y, box.h), _pt(box.w), _pt(box.h), stroke=0, fill=1)
        c.setFillGray(1 if box.inverse else 0)
        c.setFont(self.font, _pt(fitted.size))
        x = box.x + (INVERSE_PAD if box.inverse else 0)
        for i, line in enumerate(fitted.lines):
            baseline = box.y + fitted.baseline_of(i)
            if right_to_left(line):
                self._dots_of(line, self._dot(x), self._dot(baseline), self.metrics.dots.pixels(fitted.size))
                text = c.beginText(_pt(x), _pt(self.media.height_mm - baseline))
                text.setFont(self.font, _pt(fitted.size))
                text.setTextRenderMode(3)  # invisible: the text layer's copy in reading order
                text.textOut(line)
                text.setTextRenderMode(0)  # the mode outlives the text object: the next lines are seen
                c.drawText(text)
            else:
                c.drawString(_pt(x), _pt(self.media.height_mm - baseline), line)
        c.setFillGray(0)

    def _dots_of(self, line: str, x: int, baseline: int, pixels: int) -> None:
        """The line as the Zebra labels draw it (Pillow's dots, origin at (x, baseline) in dots), each run of
        dark dots in a row a rectangle on the printer's dot grid."""
        bitmap = text_bitmap(line, pixels)
        width, data = bitmap.bits.width, bitmap.bits.tobytes()
        stride = (width + 7) // 8  # a row of a 1-bit image: whole bytes, its first dot the highest bit
        left, top = x + bitmap.left, baseline + bitmap.top
        for row in range(bitmap.bits.height):
            dots = (bool(data[row * stride + col // 8] & (0x80 >> (col % 8))) for col in range(width))
            for start, length in dark_runs(dots):
                self._cell(left + start, top + row, length, 1)

    def _cell(self, x: int, y: int, w: int, h: int) -> None:
        """A dark rectangle given in whole dots from the page's top left, drawn a hair (CELL_INSET of a dot) inside
        its dots: rasterisers that round a filled rectangle outwards (pdfium does) and those that fill the dots
        whose centres it covers then both fill exactly its dots, never one more."""
        e = CELL_INSET
        self.canvas.rect(_pt(self._mm(x + e)), self._y(self._mm(y + e), self._mm(h - 2 * e)),
                         _pt(self._mm(w - 2 * e)), _pt(self._mm(h - 2 * e)), stroke=0, fill=1)

    def symbol(self, box: SymbolBox) -> None:
        rows = symbol_matrix(box.symbol.kind, box.symbol.data)
        cols = len(rows[0])
        self.canvas.setFillGray(0)
        x, y, w, h = self._dot(box.x), self._dot(box.y), self._dot(box.w), self._dot(box.h)
        if box.symbol.kind == "Code128":
            module = module_dots(box, cols + 2 * QUIET_MODULES, w, self.per_mm)
            x0 = x + QUIET_MODULES * module
            for start, length in dark_runs(rows[0]):
                self._cell(x0 + start * module, y, length * module, h)
            return
        module = module_dots(box, cols + 2, min(w, h), self.per_mm)
        for r, row in enumerate(rows):
            for col, dark in enumerate(row):
                if dark:
                    self._cell(x + (col + 1) * module, y + (r + 1) * module, module, module)

    def page(self, layout: Layout) -> None:
        for box in layout.texts:
            self.text(box)
        for sbox in layout.symbols:
            self.symbol(sbox)
        self.canvas.showPage()

    def document(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def render_pdf(label: Label, media: Media, copies: int = 1, layout: Layout | None = None,
               dpi: int = DEFAULT_PDF_DPI) -> RenderedLabel:
    """A PDF with one page per copy, each page exactly the media size, its symbols on the grid of a `dpi`
    printer (the check renders it at that resolution)."""
    if not 1 <= copies <= 50:
        raise LabelError("Copies must be between 1 and 50.")
    if dpi not in SUPPORTED_DPI:
        raise LabelError(f"Printers of {dpi} dpi are not supported (use one of {SUPPORTED_DPI}).")
    layout = layout or layout_for(label, media)
    writer = PdfWriter(media, dpi)
    for _ in range(copies):
        writer.page(layout)
    return RenderedLabel("pdf", writer.document(), dpi, media, copies, tuple(s.symbol for s in layout.symbols))
