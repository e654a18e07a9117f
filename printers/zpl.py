"""ZPL II for Zebra printers at any resolution (203, 300, 600 dpi).

- every line of text is a ^GFA bitmap drawn in the label typeface at the printer's resolution
  (printers.fonts; docs/decisions.md): the printer prints exactly the dots the preview shows, whatever
  fonts it has, and every line is sized from its real ink, so no mark is ever clipped;
- every label starts with ^CI28 and every ^FD (barcode data) is preceded by ^FH_: bytes outside
  printable ASCII and the characters ^ ~ _ are written as _XX hex escapes, so no data can end a field
  or start a command, and the stream itself is plain ASCII;
- positions, bar module widths and Data Matrix cells are computed from millimetres at the printer's
  resolution; a symbol that cannot keep a readable module size is refused;
- rotated media (wristbands fed lengthwise) get every field turned 90 degrees (orientation R).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import zxingcpp
from PIL import Image

from . import code128
from .errors import DoesNotFit, LabelError
from .fit import INVERSE_PAD, FittedText, fit_text
from .fonts import advance, ascent, ink_extent, text_bitmap
from .layout import Layout, SymbolBox, TextBox, layout_for
from .model import Label, Media, RenderedLabel, Symbol

SUPPORTED_DPI = (152, 203, 300, 600)
FORMAT_END = "^XZ\n"


def quantity_command(copies: int) -> str:
    """^PQ for `copies` labels of a format (no pause, no serial numbers), on a line of its own; none for one."""
    return f"^PQ{copies},0,0,N\n" if copies > 1 else ""
#: Quiet zone on each side of a Code 128 symbol, in modules.
QUIET_MODULES = 10
#: The smallest em size text is drawn at, in dots.
MIN_TEXT_DOTS = 8
#: Candidate escape characters for ^BX (its default, ~, would turn data into control sequences).
DATAMATRIX_ESCAPES = "`{}|"


def fh_escape(text: str) -> str:
    """Field data for ^FH_: printable ASCII as is, except ^ ~ _; every other byte (UTF-8) as _XX."""
    out = []
    for ch in text:
        if 32 <= ord(ch) < 127 and ch not in "^~_":
            out.append(ch)
        else:
            out.append("".join(f"_{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


def code128_field(data: str, what: str) -> tuple[str, int]:
    """The ^BC field data (explicit start code, subset switches) and the number of symbol characters."""
    symbol = code128.encode(data, what)
    return symbol.zpl_field(), symbol.symbol_chars


def code128_modules(symbol_chars: int) -> int:
    """Start, data, check (11 modules each) and stop (13)."""
    return 11 * (symbol_chars + 2) + 13


@functools.lru_cache(maxsize=512)
def datamatrix_size(data: str) -> int:
    """Modules on a side of the square Data Matrix ECC 200 symbol for `data`."""
    barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix)
    return memoryview(barcode.to_image(scale=1, add_quiet_zones=False)).shape[0]


def module_dots(box: SymbolBox, modules: int, space: int, per_mm: float) -> int:
    """A symbol's module (narrow bar, or cell) in whole printer dots: the preferred size rounded to dots, never
    under the symbol's own minimum (raised to the next whole dot: at 152 dpi a dot is 0.167 mm, under Code 128's
    0.19 mm, so a bar is two dots there), and smaller only down to that minimum when `modules` of it would not
    fit in `space` dots. A symbol that does not fit even so is refused: the stock is too small at this
    resolution."""
    smallest = max(1, math.ceil(box.min_module * per_mm - 1e-9))
    module = max(smallest, round(box.module * per_mm))
    while module > smallest and module * modules > space:
        module -= 1
    if module * modules > space:
        raise DoesNotFit(f"The {box.symbol.what} barcode does not fit on this label at a size scanners read "
                         f"reliably at {round(per_mm * 25.4)} dpi; nothing was printed.")
    return module


@dataclass(frozen=True)
class Placement:
    """A field's box in reading orientation, in dots."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PlacedText:
    """A line of text as placed on the label: its box, and its bitmap's place in reading orientation."""

    box: TextBox
    line: str
    pixels: int  # em size in dots
    at: Placement


class ZplMetrics:
    """Text measured in dots at the printer's resolution (what will print), given and returned in mm. Lines are
    drawn by Pillow, which orders and joins right-to-left text through libraqm."""

    shapes_right_to_left = True

    def __init__(self, per_mm: float):
        self.per_mm = per_mm

    def pixels(self, size: float) -> int:
        return max(MIN_TEXT_DOTS, round(size * self.per_mm))

    def width(self, text: str, size: float) -> float:
        return advance(text, self.pixels(size)) / self.per_mm

    def ink(self, text: str, size: float) -> tuple[float, float]:
        # One dot more each way: the baseline is rounded to a whole dot.
        top, bottom = ink_extent(text, self.pixels(size))
        return (top - 1) / self.per_mm, (bottom + 1) / self.per_mm

    def ascent(self, size: float) -> float:
        return ascent(self.pixels(size)) / self.per_mm


class ZplWriter:
    def __init__(self, media: Media, dpi: int):
        if dpi not in SUPPORTED_DPI:
            raise LabelError(f"Printers of {dpi} dpi are not supported (use one of {SUPPORTED_DPI}).")
        self.media = media
        self.dpi = dpi
        self.per_mm = dpi / 25.4
        self.width = self.dots(media.width_mm)
        self.height = self.dots(media.height_mm)
        self.metrics = ZplMetrics(self.per_mm)
        self.fields: list[str] = []
        self.placed: list[PlacedText] = []
        self.symbols: tuple[Symbol, ...] = ()

    def dots(self, mm: float) -> int:
        return round(mm * self.per_mm)

    # ---------------------------------------------------------------- placement

    def _origin(self, box: Placement) -> tuple[int, int, str]:
        """^FO and orientation for a box given in reading orientation."""
        if self.media.rotated:
            return max(0, self.height - box.y - box.h), box.x, "R"
        return box.x, box.y, "N"

    # ---------------------------------------------------------------- text

    def text(self, box: TextBox, label_name: str) -> FittedText:
        fitted = fit_text(box, self.metrics, label_name=label_name)
        if box.inverse and fitted.lines:
            ox, oy, _ = self._origin(Placement(self.dots(box.x), self.dots(box.y), self.dots(box.w),
                                               self.dots(box.h)))
            bw, bh = (self.dots(box.h), self.dots(box.w)) if self.media.rotated else (self.dots(box.w),
                                                                                       self.dots(box.h))
            self.fields.append(f"^FO{ox},{oy}^GB{bw},{bh},{min(bw, bh)}^FS")
        pixels = self.metrics.pixels(fitted.size)
        x = self.dots(box.x + (INVERSE_PAD if box.inverse else 0))
        for i, line in enumerate(fitted.lines):
            self._graphic_text(box, line, x, self.dots(box.y + fitted.baseline_of(i)), pixels)
        return fitted

    def _graphic_text(self, box: TextBox, line: str, x: int, baseline: int, pixels: int) -> None:
        """The line as a bitmap whose origin sits at (x, baseline), in reading orientation."""
        bitmap = text_bitmap(line, pixels)
        at = Placement(max(0, x + bitmap.left), max(0, baseline + bitmap.top), bitmap.width, bitmap.height)
        self.placed.append(PlacedText(box, line, pixels, at))
        bits = bitmap.bits.transpose(Image.Transpose.ROTATE_270) if self.media.rotated else bitmap.bits
        ox, oy, _ = self._origin(at)
        reverse = "^FR" if box.inverse else ""
        self.fields.append(f"^FO{ox},{oy}{reverse}{graphic_field(bits)}^FS")

    # ---------------------------------------------------------------- symbols

    def _module(self, box: SymbolBox, modules: int, space: int) -> int:
        return module_dots(box, modules, space, self.per_mm)

    def symbol(self, box: SymbolBox) -> None:
        x, y, w, h = self.dots(box.x), self.dots(box.y), self.dots(box.w), self.dots(box.h)
        data = box.symbol.data
        if box.symbol.kind == "Code128":
            field, chars = code128_field(data, box.symbol.what)
            modules = code128_modules(chars)
            module = self._module(box, modules + 2 * QUIET_MODULES, w)
            bars = Placement(x + QUIET_MODULES * module, y, modules * module, h)
            ox, oy, o = self._origin(bars)
            self.fields.append(f"^FO{ox},{oy}^BY{module},3,{h}^BC{o},{h},N,N,N^FH_^FD{fh_escape(field)}^FS")
        elif box.symbol.kind == "DataMatrix":
            escape = next((c for c in DATAMATRIX_ESCAPES if c not in data), None)
            if escape is None:
                raise LabelError(f"The {box.symbol.what} cannot be put in a Data Matrix; nothing was printed.")
            side = datamatrix_size(data)
            module = self._module(box, side + 2, min(w, h))
            cells = Placement(x + module, y + module, side * module, side * module)
            ox, oy, o = self._origin(cells)
            self.fields.append(f"^FO{ox},{oy}^BX{o},{module},200,,,,{escape}^FH_^FD{fh_escape(data)}^FS")
        else:
            raise LabelError(f"Unknown symbol kind {box.symbol.kind}.")

    # ---------------------------------------------------------------- document

    def document(self, copies: int) -> bytes:
        """One format; `copies` of it are asked for with ^PQ just before its end (the check renders the format
        without that one command: printers.verify.first_format)."""
        pw, ll = (self.height, self.width) if self.media.rotated else (self.width, self.height)
        head = f"^XA^CI28^PW{pw}^LL{ll}^LH0,0^PON^PMN"
        body = "\n".join(self.fields)
        quantity = quantity_command(copies)
        return f"{head}\n{body}\n{quantity}{FORMAT_END}".encode("ascii")


#: ZPL's ASCII compression: repeat counts 1-19 are G-Y, multiples of 20 up to 400 are g-z.
_REPEAT_LOW = "GHIJKLMNOPQRSTUVWXY"
_REPEAT_HIGH = "ghijklmnopqrstuvwxyz"


def _repeat(count: int) -> str:
    out = "z" * (count // 400)
    count %= 400
    if count >= 20:
        out += _REPEAT_HIGH[count // 20 - 1]
        count %= 20
    if count:
        out += _REPEAT_LOW[count - 1]
    return out


def compress_row(row: str, previous: str | None) -> str:
    """One row of hex digits in ZPL's ASCII compression: ':' repeats the previous row, ',' fills the
    rest of the row with 0, and a run of one digit is a repeat count followed by the digit."""
    if row == previous:
        return ":"
    body = row.rstrip("0")
    out = []
    i = 0
    while i < len(body):
        j = i
        while j < len(body) and body[j] == body[i]:
            j += 1
        out.append((_repeat(j - i) if j - i > 1 else "") + body[i])
        i = j
    if len(body) < len(row):
        out.append(",")
    return "".join(out)


def graphic_field(bits: Image.Image) -> str:
    """A 1-bit image (1 = ink) as ^GFA, rows in ZPL's ASCII compression (text bitmaps are mostly blank,
    so this is about a third of the plain hex)."""
    w, h = bits.size
    row_bytes = (w + 7) // 8
    packed = bits.tobytes()  # mode "1": rows padded to whole bytes, 1 bits first
    if len(packed) != row_bytes * h:
        raise LabelError("Could not encode a text graphic.")
    rows = []
    previous = None
    for r in range(h):
        row = packed[r * row_bytes:(r + 1) * row_bytes].hex().upper()
        rows.append(compress_row(row, previous))
        previous = row
    total = row_bytes * h
    return f"^GFA,{total},{total},{row_bytes},{''.join(rows)}"


def label_name(media: Media) -> str:
    return f"a {media.name} ({media.size_text}) label"


def lay_out(label: Label, media: Media, dpi: int, layout: Layout | None = None) -> ZplWriter:
    """Every field of the label placed at `dpi` (ZplWriter.placed says where each line of text went)."""
    layout = layout or layout_for(label, media)
    writer = ZplWriter(media, dpi)
    for box in layout.texts:
        writer.text(box, label_name(media))
    for sbox in layout.symbols:
        writer.symbol(sbox)
    writer.symbols = tuple(s.symbol for s in layout.symbols)
    return writer


def render_zpl(label: Label, media: Media, dpi: int, copies: int = 1, layout: Layout | None = None) -> RenderedLabel:
    """The ZPL for `copies` of the label on `media` at `dpi`. Raises DoesNotFit / LabelError."""
    if not 1 <= copies <= 50:
        raise LabelError("Copies must be between 1 and 50.")
    writer = lay_out(label, media, dpi, layout)
    return RenderedLabel("zpl", writer.document(copies), dpi, media, copies, writer.symbols)
