"""The label typeface, its glyph coverage, and text drawn as bitmaps, for the ZPL and PDF renderers.

Every human-readable line on every label is set in one typeface, DejaVu Sans Condensed Bold (Debian
package fonts-dejavu-extra): in PDFs as embedded TrueType text, on Zebra printers as a bitmap drawn at
the printer's resolution (docs/decisions.md, "one typeface for every line"). It is the condensed cut of
the screen's DejaVu Sans, so a name reads the same on the screen, in the preview and on the label
(a hyphen is a hyphen), and it covers Latin (Vietnamese included), Greek and Cyrillic. Text with a
character the font does not have is refused rather than printed as empty boxes.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import LabelError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
LABEL_FONT = "DejaVuSansCondensed-Bold.ttf"
#: The Debian package that installs each font (scripts/system-deps.sh installs them).
FONT_PACKAGES = {LABEL_FONT: "fonts-dejavu-extra"}
#: Antialiased grey darker than this (0 black, 255 white) becomes a printed dot.
INK_LEVEL = 128
#: Em size, in pixels, at which vector measurements (the PDF's) are taken.
REFERENCE_EM = 256


@functools.cache
def font_path(name: str = LABEL_FONT) -> Path:
    """The path of a label font file; KIOSK_LABEL_FONT_DIR names another folder to look in first."""
    dirs = [Path(d) for d in os.environ.get("KIOSK_LABEL_FONT_DIR", "").split(os.pathsep) if d] + list(FONT_DIRS)
    for d in dirs:
        if (d / name).is_file():
            return d / name
    package = FONT_PACKAGES.get(name, "fonts-dejavu-extra")
    raise LabelError(f"The label font {name} is not installed; install the Debian package {package} "
                     f"(apt-get install {package}).")


@functools.lru_cache(maxsize=256)
def truetype(pixels: int, name: str = LABEL_FONT) -> ImageFont.FreeTypeFont:
    """The font at an em size of `pixels`."""
    return ImageFont.truetype(str(font_path(name)), size=max(1, pixels))


@functools.cache
def _covered(name: str) -> frozenset[int]:
    from reportlab.pdfbase.ttfonts import TTFontFile

    return frozenset(code for code, glyph in TTFontFile(str(font_path(name))).charToGlyph.items() if glyph)


def normalized(text: str) -> str:
    """NFC (so 'e' + combining accent becomes the one precomposed letter the font draws), with line
    breaks and tabs as spaces, trimmed."""
    return "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", text)).strip()


def can_draw(text: str, name: str = LABEL_FONT) -> bool:
    """Does the font have a glyph for every character of `text` (normalized)?"""
    covered = _covered(name)
    return all(ord(ch) in covered for ch in normalized(text))


def right_to_left(text: str) -> bool:
    """Has `text` letters written right to left (Hebrew, Arabic, Syriac, Thaana ...)? They need the bidirectional
    algorithm and, for Arabic, joining: Pillow does both through libraqm (HarfBuzz and FriBiDi) when it has it."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def can_shape() -> bool:
    """Does the bitmap path order and join right-to-left text (Pillow built with libraqm)?"""
    from PIL import features

    return bool(features.check("raqm"))


def ascent(pixels: int) -> int:
    return truetype(pixels).getmetrics()[0]


def advance(text: str, pixels: int) -> float:
    """How far the text reaches to the right of its origin: its advance, or its ink if that goes further."""
    font = truetype(pixels)
    return max(float(font.getlength(text)), float(font.getbbox(text, anchor="ls")[2]))


def ink_extent(text: str, pixels: int) -> tuple[int, int]:
    """(top, bottom) of the text's glyph boxes in pixels from the baseline (top is negative: above it).
    Stacked marks (Ễ, Ậ) reach above the font's ascent; this is their real height."""
    _, top, _, bottom = truetype(pixels).getbbox(text, anchor="ls")
    return int(top), int(bottom)


@dataclass(frozen=True)
class TextBitmap:
    """A line of text as printed dots: `bits` is a 1-bit image (1 = ink) cropped to the ink with a
    blank margin of one dot on every side; (`left`, `top`) is its top-left corner relative to the
    text's origin on the baseline."""

    bits: Image.Image
    left: int
    top: int

    @property
    def width(self) -> int:
        return self.bits.width

    @property
    def height(self) -> int:
        return self.bits.height


def render_ink(text: str, pixels: int, pad: int) -> tuple[Image.Image, int, int]:
    """The text drawn on a canvas `pad` pixels larger than its glyph boxes on every side, thresholded
    to dots (1 = ink); with the canvas position of the text's origin."""
    font = truetype(pixels)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    origin_x, origin_y = pad - left, pad - top
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(canvas).text((origin_x, origin_y), text, font=font, fill=0, anchor="ls")
    return canvas.point(lambda v: 255 if v < INK_LEVEL else 0, mode="1"), origin_x, origin_y


def text_bitmap(text: str, pixels: int) -> TextBitmap:
    """The line as dots, sized from its real ink (never clipped: every mark above a capital and below
    the baseline is inside the bitmap)."""
    pad = max(4, pixels // 4)
    bits, origin_x, origin_y = render_ink(text, pixels, pad)
    box = bits.getbbox()
    if box is None:
        return TextBitmap(Image.new("1", (1, 1), 0), 0, 0)
    if box[0] == 0 or box[1] == 0 or box[2] == bits.width or box[3] == bits.height:
        raise LabelError("A line of text could not be drawn in full; nothing was printed.")
    x0, y0, x1, y1 = box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1
    return TextBitmap(bits.crop((x0, y0, x1, y1)), x0 - origin_x, y0 - origin_y)
