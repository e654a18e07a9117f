"""PDF labels at the exact media size, for ordinary CUPS printers (reportlab).

Text is the label typeface (printers.fonts), fitted with the same rules as the ZPL labels; symbols are
drawn module by module from the matrices zxing-cpp encodes, so bar and cell sizes are exact at any
printer resolution.
"""

from __future__ import annotations

import functools
import io

import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .errors import DoesNotFit, LabelError
from .fit import INVERSE_PAD, fit_text
from .fonts import REFERENCE_EM, ascent, font_path, ink_extent
from .layout import Layout, SymbolBox, TextBox, layout_for
from .model import Label, Media, RenderedLabel
from .zpl import QUIET_MODULES, label_name

PDF_FONT = "KioskLabelSans-Bold"


@functools.cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path())))
    return PDF_FONT


def _pt(size_mm: float) -> float:
    return size_mm * mm


class PdfMetrics:
    """Vector text: widths from the embedded font's metrics, ink from its glyph boxes (measured once at a
    large em size and scaled), in mm."""

    def width(self, text: str, size: float) -> float:
        return pdfmetrics.stringWidth(text, _register_font(), _pt(size)) / mm

    def ink(self, text: str, size: float) -> tuple[float, float]:
        top, bottom = _ink(text)
        return top * size, bottom * size

    def ascent(self, size: float) -> float:
        return ascent(REFERENCE_EM) / REFERENCE_EM * size


@functools.lru_cache(maxsize=1024)
def _ink(text: str) -> tuple[float, float]:
    top, bottom = ink_extent(text, REFERENCE_EM)
    # One pixel of the reference size more each way: glyph boxes are rounded to whole pixels.
    return (top - 1) / REFERENCE_EM, (bottom + 1) / REFERENCE_EM


METRICS = PdfMetrics()


@functools.lru_cache(maxsize=512)
def symbol_matrix(kind: str, data: str) -> tuple[tuple[bool, ...], ...]:
    """Rows of modules (True = dark) of the symbol, without quiet zones."""
    fmt = zxingcpp.BarcodeFormat.Code128 if kind == "Code128" else zxingcpp.BarcodeFormat.DataMatrix
    try:
        barcode = zxingcpp.create_barcode(data, fmt)
    except (ValueError, RuntimeError):
        raise LabelError(f"The {kind} symbol could not be encoded; nothing was printed.") from None
    view = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    rows, cols = view.shape
    raw = bytes(view)
    if kind == "Code128":
        return (tuple(raw[c] < 128 for c in range(cols)),)
    return tuple(tuple(raw[r * cols + c] < 128 for c in range(cols)) for r in range(rows))


class PdfWriter:
    def __init__(self, media: Media):
        self.media = media
        self.buffer = io.BytesIO()
        # invariant: no timestamps or random ids, so the same label gives the same bytes (previewed == printed).
        self.canvas = Canvas(self.buffer, pagesize=(_pt(media.width_mm), _pt(media.height_mm)), pageCompression=1,
                             invariant=1)
        self.canvas.setTitle(f"{media.name} label")
        self.canvas.setCreator("Unit Coordinator Kiosk")
        self.font = _register_font()

    def _y(self, top_mm: float, height_mm: float) -> float:
        """reportlab's y grows upwards."""
        return _pt(self.media.height_mm - top_mm - height_mm)

    def text(self, box: TextBox) -> None:
        fitted = fit_text(box, METRICS, label_name=label_name(self.media))
        c = self.canvas
        if box.inverse and fitted.lines:
            c.setFillGray(0)
            c.rect(_pt(box.x), self._y(box.y, box.h), _pt(box.w), _pt(box.h), stroke=0, fill=1)
        c.setFillGray(1 if box.inverse else 0)
        c.setFont(self.font, _pt(fitted.size))
        x = box.x + (INVERSE_PAD if box.inverse else 0)
        for i, line in enumerate(fitted.lines):
            c.drawString(_pt(x), _pt(self.media.height_mm - box.y - fitted.baseline_of(i)), line)
        c.setFillGray(0)

    def symbol(self, box: SymbolBox) -> None:
        rows = symbol_matrix(box.symbol.kind, box.symbol.data)
        cols = len(rows[0])
        c = self.canvas
        c.setFillGray(0)
        if box.symbol.kind == "Code128":
            module = min(box.module, box.w / (cols + 2 * QUIET_MODULES))
            if module < box.min_module:
                raise DoesNotFit(f"The {box.symbol.what} barcode does not fit on this label at a size scanners "
                                 "read reliably; nothing was printed.")
            x0 = box.x + QUIET_MODULES * module
            run = 0
            for i, dark in enumerate((*rows[0], False)):
                if dark:
                    run += 1
                elif run:
                    start = i - run
                    c.rect(_pt(x0 + start * module), self._y(box.y, box.h), _pt(run * module), _pt(box.h),
                           stroke=0, fill=1)
                    run = 0
            return
        module = min(box.module, min(box.w, box.h) / (cols + 2))
        if module < box.min_module:
            raise DoesNotFit(f"The {box.symbol.what} symbol does not fit on this label at a size scanners read "
                             "reliably; nothing was printed.")
        for r, row in enumerate(rows):
            for col, dark in enumerate(row):
                if dark:
                    c.rect(_pt(box.x + (col + 1) * module), self._y(box.y + (r + 1) * module, module),
                           _pt(module), _pt(module), stroke=0, fill=1)

    def page(self, layout: Layout) -> None:
        for box in layout.texts:
            self.text(box)
        for sbox in layout.symbols:
            self.symbol(sbox)
        self.canvas.showPage()

    def document(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def render_pdf(label: Label, media: Media, copies: int = 1, layout: Layout | None = None) -> RenderedLabel:
    """A PDF with one page per copy, each page exactly the media size."""
    if not 1 <= copies <= 50:
        raise LabelError("Copies must be between 1 and 50.")
    layout = layout or layout_for(label, media)
    writer = PdfWriter(media)
    for _ in range(copies):
        writer.page(layout)
    return RenderedLabel("pdf", writer.document(), 0, media, copies, tuple(s.symbol for s in layout.symbols))
