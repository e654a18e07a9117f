"""Errors from printers/. Every message is a sentence a unit secretary can read, without patient data."""

from __future__ import annotations


class ReadableError(Exception):
    """An error whose `message` is shown to the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LabelError(ReadableError):
    """A label cannot be made as asked; nothing was printed."""


class DoesNotFit(LabelError):
    """An identifier (name, birth date, MRN, encounter or accession number) does not fit in full."""


class UnprintableText(LabelError):
    """Text has a character the label font cannot draw: it would print as an empty box."""


class SymbolMismatch(LabelError):
    """A barcode on the rendered label did not read back exactly as intended."""


class PrinterError(ReadableError):
    """Sending to a printer failed."""


class PrinterUnreachable(PrinterError):
    """The printer (or its print server) could not be reached; the job can be sent again later."""


class PrinterSendInterrupted(PrinterError):
    """The printer took the connection, then the send failed part-way: some of the label may have printed.
    Never sent again by itself (a duplicate armband is the worse error); a person checks the printer."""


class PrinterRefused(PrinterError):
    """The printer or print server answered but refused the job; sending it again will not help."""


class PrinterConfigError(Exception):
    """config/printers.toml is wrong; the message names the setting."""
