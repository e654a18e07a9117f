"""Label layouts and printer transports for armbands, chart labels and specimen labels.

Takes label data objects (printers.model), returns bytes: ZPL II for Zebra printers at their
resolution, PDF at the exact media size; proves every symbol reads back (printers.verify); sends the
bytes over raw TCP, CUPS or to a folder and hears from the printer whether it printed them (printers.transports,
printers.hoststatus). Imports nothing from kiosk/ or Flask.
"""

from dataclasses import replace

from .config import PrintersConfig, PrinterSettings, RetrySettings, load_printers_config, parse_printers_config
from .errors import (
    BadIdentifier,
    DoesNotFit,
    LabelError,
    PrinterConfigError,
    PrinterError,
    PrinterRefused,
    PrinterSendInterrupted,
    PrinterUnconfirmed,
    PrinterUnreachable,
    PrintOutcomeUnknown,
    SymbolMismatch,
    UnprintableText,
)
from .model import (
    ArmbandLabel,
    ChartLabel,
    EncounterDetails,
    Label,
    LabelType,
    Media,
    PatientIdentity,
    RenderedLabel,
    ScanIdentifier,
    SpecimenLabel,
    Symbol,
)
from .pdf import render_pdf
from .verify import Verified, verify
from .zpl import label_name, render_zpl


def render_label(label: Label, media: Media, language: str, dpi: int, copies: int = 1) -> RenderedLabel:
    """The bytes for `copies` of the label in the printer's language at its resolution (ZPL, or PDF). A
    specimen label whose accession number does not fit is refused saying how many of its characters do."""
    try:
        return _render(label, media, language, dpi, copies)
    except DoesNotFit as refused:
        if not isinstance(label, SpecimenLabel) or "accession number" not in refused.message:
            raise
        fits = accession_characters_that_fit(label, media, language, dpi)
        if not fits:
            raise
        over = len(label.accession) - fits
        raise DoesNotFit(
            f"The accession number is too long for {label_name(media)} on this printer: it is "
            f"{len(label.accession)} characters long and only {fits} of them fit, in its text and its barcode "
            f"({over} too many). An identifier is never shortened, so nothing was printed; check the number, "
            "or print on a larger label stock.") from None


def _render(label: Label, media: Media, language: str, dpi: int, copies: int = 1) -> RenderedLabel:
    if language == "pdf":
        return render_pdf(label, media, copies, dpi=dpi)
    return render_zpl(label, media, dpi, copies)


def accession_characters_that_fit(label: SpecimenLabel, media: Media, language: str, dpi: int) -> int:
    """How many characters of the label's accession number, from its start, the label prints in full (text and
    barcode): a binary search over renders (about six for 40 characters; a longer start never fits where a
    shorter one does not). Characters differ in width, and digits pack two to a barcode character, so the
    count is for this number."""
    low, high = 0, len(label.accession)
    while low < high:
        mid = (low + high + 1) // 2
        try:
            _render(replace(label, accession=label.accession[:mid]), media, language, dpi)
            low = mid
        except (LabelError, ValueError):
            high = mid - 1
    return low


__all__ = [
    "ArmbandLabel",
    "BadIdentifier",
    "ChartLabel",
    "DoesNotFit",
    "EncounterDetails",
    "Label",
    "LabelError",
    "LabelType",
    "Media",
    "PatientIdentity",
    "PrintOutcomeUnknown",
    "PrinterConfigError",
    "PrinterError",
    "PrinterRefused",
    "PrinterSendInterrupted",
    "PrinterSettings",
    "PrinterUnconfirmed",
    "PrinterUnreachable",
    "PrintersConfig",
    "RenderedLabel",
    "RetrySettings",
    "ScanIdentifier",
    "SpecimenLabel",
    "Symbol",
    "SymbolMismatch",
    "UnprintableText",
    "Verified",
    "load_printers_config",
    "parse_printers_config",
    "render_label",
    "render_pdf",
    "render_zpl",
    "verify",
]
