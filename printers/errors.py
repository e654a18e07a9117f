"""Errors from printers/. Every message is a sentence a unit secretary can read, without patient data."""

from __future__ import annotations


class LabelError(Exception):
    """A label cannot be made as asked; nothing was printed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DoesNotFit(LabelError):
    """An identifier (name, birth date, MRN, encounter or accession number) does not fit in full."""


class SymbolMismatch(LabelError):
    """A barcode on the rendered label did not read back exactly as intended."""


class PrinterError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PrinterUnreachable(PrinterError):
    """The printer (or its print server) could not be reached; the job can be sent again later."""


class PrinterRefused(PrinterError):
    """The printer or print server answered but refused the job; sending it again will not help."""


class PrinterConfigError(Exception):
    """config/printers.toml is wrong; the message names the setting."""
