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


class BadIdentifier(LabelError):
    """An identifier (MRN, encounter or accession number) that could read differently on the label than in the
    record: a space or line break inside it, or a character outside printable ASCII."""


class UnprintableText(LabelError):
    """Text has a character the label font cannot draw: it would print as an empty box."""


class SymbolMismatch(LabelError):
    """A barcode on the rendered label did not read back exactly as intended."""


class PrinterError(ReadableError):
    """Sending to a printer failed. `message` is for IT (which printer, what happened); `reason` is the printer's
    own word in a few plain words for the person at the kiosk ("Printer paused"), or "" when there is none."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


class PrinterUnreachable(PrinterError):
    """Nothing of the label reached the printer (it could not be reached, or said before the label was sent that
    it cannot print now): the job can be sent again later."""


class PrintOutcomeUnknown(PrinterError):
    """Some or all of the label reached the printer, and the printer did not confirm that it printed: it may or
    may not have printed. Never sent again by itself (a duplicate armband is the worse error); a person checks."""


class PrinterSendInterrupted(PrintOutcomeUnknown):
    """The printer took the connection, then the send failed part-way (it stopped reading, or hung up)."""


class PrinterUnconfirmed(PrintOutcomeUnknown):
    """The printer took the whole job, then reported a problem, stopped answering, or hung up before saying that
    it had printed it."""


class PrinterRefused(PrinterError):
    """The printer or print server answered but refused the job; sending it again will not help."""


class PrinterConfigError(Exception):
    """config/printers.toml is wrong; the message names the setting."""
