"""Label layouts and printer transports for armbands, chart labels and specimen labels.

Takes label data objects (printers.model), returns bytes: ZPL II for Zebra printers at their
resolution, PDF at the exact media size; proves every symbol reads back (printers.verify); sends the
bytes over raw TCP, CUPS or to a folder and hears from the printer whether it printed them (printers.transports,
printers.hoststatus). Imports nothing from kiosk/ or Flask.
"""

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
from .zpl import render_zpl


def render_label(label: Label, media: Media, language: str, dpi: int, copies: int = 1) -> RenderedLabel:
    """The bytes for `copies` of the label in the printer's language at its resolution (ZPL, or PDF)."""
    if language == "pdf":
        return render_pdf(label, media, copies, dpi=dpi)
    return render_zpl(label, media, dpi, copies)


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
