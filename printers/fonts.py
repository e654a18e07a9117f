"""Fonts and text measurement shared by the ZPL and PDF renderers.

Text in printable ASCII prints in the Zebra's resident font 0 (measured by rendering it with zplkit, the
same renderer as the preview). Text with other characters (accents, other scripts) is drawn in DejaVu
Sans, which covers Latin, Greek, Cyrillic and Vietnamese; the PDF labels use DejaVu Sans throughout.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from PIL import ImageFont

from .errors import LabelError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
BOLD = "DejaVuSans-Bold.ttf"
REGULAR = "DejaVuSans.ttf"


@functools.cache
def font_path(name: str) -> Path:
    """The path of a DejaVu font file; KIOSK_LABEL_FONT_DIR names another folder."""
    dirs = [Path(d) for d in os.environ.get("KIOSK_LABEL_FONT_DIR", "").split(os.pathsep) if d] + list(FONT_DIRS)
    for d in dirs:
        if (d / name).is_file():
            return d / name
    raise LabelError(f"The label font {name} is not installed; install the Debian package fonts-dejavu-core "
                     "(apt-get install fonts-dejavu-core).")


@functools.lru_cache(maxsize=256)
def truetype(name: str, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size=max(1, pixels))


def is_printable_ascii(text: str) -> bool:
    return all(32 <= ord(ch) < 127 for ch in text)


def truetype_width(text: str, pixels: int, name: str = BOLD) -> float:
    return float(truetype(name, pixels).getlength(text))
