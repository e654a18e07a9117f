"""What an armband scan (or a number typed instead) says, for every workflow that takes one: an MRN or
an encounter number from a 1D barcode, or both, labelled, from the kiosk armband's Data Matrix
(printers.layout.datamatrix_content writes 'MRN:<mrn>|ENC:<number>').

Scans reach the kiosk in POST bodies only: never in a URL or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What an armband scan or a typed number may look like: letters, digits, dashes, dots (no spaces).
SCAN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{2,39}$")
#: The kiosk's own armband Data Matrix (printers.layout.datamatrix_content): MRN and encounter number.
ARMBAND_2D = re.compile(r"^MRN:(?P<mrn>[^|]+)\|ENC:(?P<encounter>[^|]+)$")


@dataclass(frozen=True)
class ScanCode:
    """What a scan says: an MRN or encounter number (a 1D barcode or typed, `mrn` and `encounter`
    unknown), or both, labelled (the armband's Data Matrix)."""

    text: str
    mrn: str | None = None
    encounter: str | None = None

    @property
    def shown(self) -> str:
        """How the scan is repeated back to the person (their own screen only, never a URL or log)."""
        if self.mrn and self.encounter:
            return f"MRN {self.mrn}, encounter {self.encounter}"
        return self.text


def parse_scan(scanned: str) -> ScanCode | None:
    """A scan or a typed number, or None when it is neither an MRN, an encounter number nor the
    armband's Data Matrix."""
    text = scanned.strip()
    labelled = ARMBAND_2D.match(text)
    if labelled:
        mrn, encounter = labelled.group("mrn").strip(), labelled.group("encounter").strip()
        if SCAN_PATTERN.match(mrn) and SCAN_PATTERN.match(encounter):
            return ScanCode(text, mrn, encounter)
        return None
    return ScanCode(text) if SCAN_PATTERN.match(text) else None
