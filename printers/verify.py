"""The safety check: render the exact bytes that will print, decode every symbol with zxing-cpp, and
refuse the label unless each intended symbol reads back exactly (and nothing else is found).

ZPL is rendered with zplkit (the same renderer as the on-screen preview); PDF pages with pypdfium2; both at the
resolution of the printer the job goes to.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

import pypdfium2
import zxingcpp
from PIL import Image
from zplkit import Options, render

from .errors import LabelError, SymbolMismatch
from .model import RenderedLabel

#: PDF pages are rasterised at the resolution of the printer they go to; this one when it is not known.
PDF_RENDER_DPI = 300

FORMATS = {"Code128": zxingcpp.BarcodeFormat.Code128, "DataMatrix": zxingcpp.BarcodeFormat.DataMatrix}


@dataclass(frozen=True)
class Decoded:
    kind: str
    text: str


@dataclass(frozen=True)
class Verified:
    """A label whose symbols read back exactly; `preview_png` is the first label as printed, turned to
    reading orientation."""

    preview_png: bytes
    decoded: tuple[Decoded, ...]
    labels: int
    width: int
    height: int


def rasterize_zpl(data: bytes, dpi: int) -> list[Image.Image]:
    """Every label in a ZPL stream as a greyscale image at the printer's resolution."""
    try:
        document = render(data, Options(profile="specification", dpi=dpi))
    except ValueError as e:
        raise LabelError(f"The label could not be rendered for checking ({type(e).__name__}); nothing was "
                         "printed.") from None
    images = []
    for scene in document.labels:
        raster = scene.rasterize()
        images.append(Image.frombytes("L", (raster.width, raster.height), raster.pixels))
    return images


QUANTITY = re.compile(rb"\^PQ([1-9][0-9]?),0,0,N\n\^XZ\n\Z")


def first_format(data: bytes) -> bytes:
    """The label format to render for the check and the preview: the stream's one format, without the ^PQ that
    asks the printer for its copies. Refused unless the stream is exactly that format plus, at most, that one
    command right before its end: then every label printed is the format rendered. (Jobs stored before ^PQ
    repeated the format per copy; those are accepted when every repetition is byte-identical.)"""
    end = b"^XZ\n"
    formats = [f for f in data.split(end) if f.strip()]
    if len(formats) > 1:
        if any(f != formats[0] for f in formats):
            raise LabelError("The label's copies are not identical; nothing was printed.")
        return formats[0] + end
    if not formats or data.count(b"^XA") != 1 or data.count(b"^XZ") != 1 or not data.endswith(end):
        raise LabelError("The label is not one format; nothing was printed.")
    quantity = QUANTITY.search(data)
    if quantity is not None:
        data = data[:quantity.start()] + end
    if b"^PQ" in data:
        raise LabelError("The label asks for copies in a way the kiosk did not write; nothing was printed.")
    return data


def copies_in(data: bytes) -> int:
    """How many labels a ZPL stream prints: its ^PQ quantity, or its repeated formats (older jobs)."""
    quantity = QUANTITY.search(data)
    return int(quantity.group(1)) if quantity else max(1, data.count(b"^XZ\n"))


def rasterize_pdf(data: bytes, dpi: int = PDF_RENDER_DPI) -> list[Image.Image]:
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise LabelError("The PDF label could not be opened for checking; nothing was printed.") from None
    # pypdfium2 sizes the bitmap with ceil(points x scale), and pdfium then fits the page to that bitmap: a page
    # of 54 pt at 300 dpi is 225.00000000000003 px by floating point, so it became 226 px and every dot was
    # stretched by 0.4 %. A hair less scale keeps whole-dot pages whole and the dot grid where the label put it.
    scale = dpi / 72 * (1 - 1e-9)
    try:
        return [pdf[i].render(scale=scale, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()


def decode(image: Image.Image) -> list[Decoded]:
    formats = (zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.DataMatrix)
    found = zxingcpp.read_barcodes(image, formats=formats, try_rotate=True, try_downscale=False,
                                   text_mode=zxingcpp.TextMode.Plain)
    names = {v: k for k, v in FORMATS.items()}
    return [Decoded(names.get(b.format, str(b.format)), b.text) for b in found if b.valid]


def verify(label: RenderedLabel) -> Verified:
    """Decode the rendered label; raise SymbolMismatch unless it carries exactly the intended symbols.

    Every page of a PDF is decoded (its pages are not compared otherwise). A ZPL stream is one format with a ^PQ
    for its copies, which `first_format` proves is the only difference from the format it renders and decodes;
    `labels` is how many labels that stands for.
    """
    if label.language == "zpl":
        images = rasterize_zpl(first_format(label.data), label.dpi)
        if copies_in(label.data) != label.copies:
            raise SymbolMismatch("The label would print another number of copies than asked; nothing was printed.")
    else:
        images = rasterize_pdf(label.data, label.dpi or PDF_RENDER_DPI)
    if not images:
        raise SymbolMismatch("The label rendered as an empty page; nothing was printed.")
    expected = Counter((s.kind, s.data) for s in label.symbols)
    decoded: tuple[Decoded, ...] = ()
    for image in images:
        found = decode(image)
        got = Counter((d.kind, d.text) for d in found)
        if got != expected:
            missing = [f"{kind} {next(s.what for s in label.symbols if (s.kind, s.data) == (kind, data))}"
                       for (kind, data) in (expected - got)]
            what = ", ".join(missing) if missing else "an unexpected extra symbol"
            raise SymbolMismatch(
                f"The rendered label's barcodes did not read back exactly as intended ({what}); the kiosk "
                "refused to print it. Try another printer or label size, and call the help desk if it repeats."
            )
        decoded = decoded or tuple(found)
    first_image = images[0]
    if label.language == "zpl" and label.media.rotated:
        first_image = first_image.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    first_image.save(buffer, format="PNG", optimize=False, compress_level=3)
    labels = label.copies if label.language == "zpl" else len(images)
    return Verified(buffer.getvalue(), decoded, labels, first_image.width, first_image.height)
