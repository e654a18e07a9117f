"""ZPL II for Zebra printers at any resolution (203, 300, 600 dpi).

- every label starts with ^CI28 (field data is UTF-8) and every ^FD is preceded by ^FH_: bytes outside
  printable ASCII and the characters ^ ~ _ are written as _XX hex escapes, so no name can end a field
  or start a command, and the stream itself is plain ASCII;
- positions, character heights, bar module widths and Data Matrix cells are computed from millimetres
  at the printer's resolution; a symbol that cannot keep a readable module size is refused;
- text in printable ASCII uses resident font 0; other text is drawn (DejaVu Sans) into a ^GFA graphic,
  so accented and non-Latin names print the same on every printer, fonts or not (docs/decisions.md);
- rotated media (wristbands fed lengthwise) get every field turned 90 degrees (orientation R).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageDraw
from zplkit import Options, render

from .errors import DoesNotFit, LabelError
from .fit import LINE_PITCH, FittedText, fit_text
from .fonts import BOLD, is_printable_ascii, truetype, truetype_width
from .layout import Layout, SymbolBox, TextBox, layout_for
from .model import Label, Media, RenderedLabel

SUPPORTED_DPI = (152, 203, 300, 600)
FORMAT_END = "^XZ\n"
#: Quiet zone on each side of a Code 128 symbol, in modules.
QUIET_MODULES = 10
ASCII_ELLIPSIS = "..."
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
    """The ^BC field data (with an explicit start code) and the number of symbol characters."""
    if not data or not all(32 <= ord(ch) < 127 for ch in data):
        raise LabelError(f"The {what} contains characters a Code 128 barcode cannot carry; nothing was printed.")
    if data.isdigit() and len(data) % 2 == 0 and len(data) >= 4:
        return ">;" + data, len(data) // 2
    # Subset B: ^, > and ~ are written with their invocation codes.
    escaped = "".join({"^": "><", ">": ">0", "~": ">="}.get(ch, ch) for ch in data)
    return ">:" + escaped, len(data)


def code128_modules(symbol_chars: int) -> int:
    """Start, data, check (11 modules each) and stop (13)."""
    return 11 * (symbol_chars + 2) + 13


@functools.lru_cache(maxsize=512)
def datamatrix_size(data: str) -> int:
    """Modules on a side of the square Data Matrix ECC 200 symbol for `data`."""
    barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix)
    return memoryview(barcode.to_image(scale=1, add_quiet_zones=False)).shape[0]


@functools.lru_cache(maxsize=4096)
def font0_width(text: str, height: int) -> int:
    """Width in dots of `text` in resident font 0 at `height` dots, measured with zplkit."""
    if not text:
        return 0
    zpl = f"^XA^CI28^PW{height * len(text) + 40}^LL{height + 8}^FO0,0^A0N,{height},0^FH_^FD{fh_escape(text)}^FS^XZ"
    raster = render(zpl.encode("ascii"), Options(profile="specification", dpi=203)).labels[0].rasterize()
    ink = Image.frombytes("L", (raster.width, raster.height), raster.pixels).point(lambda v: 255 - v)
    box = ink.getbbox()  # of the non-zero (inked) pixels
    return box[2] if box else 0


@dataclass(frozen=True)
class Placement:
    """A field's box in reading orientation, in dots."""

    x: int
    y: int
    w: int
    h: int


class ZplWriter:
    def __init__(self, media: Media, dpi: int):
        if dpi not in SUPPORTED_DPI:
            raise LabelError(f"Printers of {dpi} dpi are not supported (use one of {SUPPORTED_DPI}).")
        self.media = media
        self.dpi = dpi
        self.per_mm = dpi / 25.4
        self.width = self.dots(media.width_mm)
        self.height = self.dots(media.height_mm)
        self.fields: list[str] = []

    def dots(self, mm: float) -> int:
        return round(mm * self.per_mm)

    # ---------------------------------------------------------------- placement

    def _origin(self, box: Placement) -> tuple[int, int, str]:
        """^FO and orientation for a box given in reading orientation."""
        if self.media.rotated:
            return max(0, self.height - box.y - box.h), box.x, "R"
        return box.x, box.y, "N"

    # ---------------------------------------------------------------- text

    def measure(self, text: str, size_mm: float) -> float:
        h = max(8, self.dots(size_mm))
        if is_printable_ascii(text):
            return font0_width(text, h) / self.per_mm
        return truetype_width(text, h) / self.per_mm

    def text(self, box: TextBox, label_name: str) -> FittedText:
        fitted = fit_text(box, self.measure, ellipsis=ASCII_ELLIPSIS, label_name=label_name)
        h = max(8, self.dots(fitted.size))
        if box.inverse and fitted.lines:
            ox, oy, _ = self._origin(Placement(self.dots(box.x), self.dots(box.y), self.dots(box.w),
                                               self.dots(box.h)))
            bw, bh = (self.dots(box.h), self.dots(box.w)) if self.media.rotated else (self.dots(box.w),
                                                                                       self.dots(box.h))
            self.fields.append(f"^FO{ox},{oy}^GB{bw},{bh},{min(bw, bh)}^FS")
        for i, line in enumerate(fitted.lines):
            y = self.dots(box.y + (box.h - h / self.per_mm) / 2) if box.inverse else \
                self.dots(box.y + i * fitted.size * LINE_PITCH)
            x = self.dots(box.x) + (self.dots(0.6) if box.inverse else 0)
            if is_printable_ascii(line):
                w = font0_width(line, h)
                ox, oy, o = self._origin(Placement(x, y, w, h))
                reverse = "^FR" if box.inverse else ""
                self.fields.append(f"^FO{ox},{oy}^A0{o},{h},0{reverse}^FH_^FD{fh_escape(line)}^FS")
            else:
                self._graphic_text(line, x, y, h, box.inverse)
        return fitted

    def _graphic_text(self, line: str, x: int, y: int, h: int, inverse: bool) -> None:
        font = truetype(BOLD, h)
        right = font.getbbox(line, anchor="ls")[2]
        ascent, descent = font.getmetrics()
        w = max(1, math.ceil(right) + 1)
        height = max(1, ascent + descent)
        image = Image.new("L", (w, height), 255)
        ImageDraw.Draw(image).text((0, ascent), line, font=font, fill=0, anchor="ls")
        bits = image.point(lambda v: 255 if v < 128 else 0, mode="1")  # 1 = ink
        if self.media.rotated:
            bits = bits.transpose(Image.Transpose.ROTATE_270)
        ox, oy, _ = self._origin(Placement(x, y, w, height))
        reverse = "^FR" if inverse else ""
        self.fields.append(f"^FO{ox},{oy}{reverse}{graphic_field(bits)}^FS")

    # ---------------------------------------------------------------- symbols

    def _module(self, box: SymbolBox, modules: int, space: int) -> int:
        preferred = max(1, self.dots(box.module))
        smallest = max(1, math.ceil(box.min_module * self.per_mm - 1e-9))
        module = preferred
        while module > smallest and module * modules > space:
            module -= 1
        if module * modules > space:
            raise DoesNotFit(f"The {box.symbol.what} barcode does not fit on this label at a size scanners "
                             "read reliably; nothing was printed.")
        return module

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
        pw, ll = (self.height, self.width) if self.media.rotated else (self.width, self.height)
        head = f"^XA^CI28^PW{pw}^LL{ll}^LH0,0^PON^PMN"
        body = "\n".join(self.fields)
        # Copies repeat the whole format rather than using ^PQ, so that the stream the preview renders is
        # the stream that prints, every copy included (zplkit does not render ^PQ).
        return f"{head}\n{body}\n{FORMAT_END}".encode("ascii") * copies


def graphic_field(bits: Image.Image) -> str:
    """A 1-bit image (1 = ink) as ^GFA with uncompressed hex rows."""
    w, h = bits.size
    row_bytes = (w + 7) // 8
    packed = bits.tobytes()  # mode "1": rows padded to whole bytes, 1 bits first
    if len(packed) != row_bytes * h:
        raise LabelError("Could not encode a text graphic.")
    total = row_bytes * h
    return f"^GFA,{total},{total},{row_bytes},{packed.hex().upper()}"


def label_name(media: Media) -> str:
    return f"a {media.name} ({media.size_text}) label"


def render_zpl(label: Label, media: Media, dpi: int, copies: int = 1, layout: Layout | None = None) -> RenderedLabel:
    """The ZPL for `copies` of the label on `media` at `dpi`. Raises DoesNotFit / LabelError."""
    if not 1 <= copies <= 50:
        raise LabelError("Copies must be between 1 and 50.")
    layout = layout or layout_for(label, media)
    writer = ZplWriter(media, dpi)
    for box in layout.texts:
        writer.text(box, label_name(media))
    for sbox in layout.symbols:
        writer.symbol(sbox)
    return RenderedLabel("zpl", writer.document(copies), dpi, media, copies,
                         tuple(s.symbol for s in layout.symbols))
