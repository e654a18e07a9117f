"""Label layouts in millimetres, independent of printer language and resolution.

A layout is a list of boxes: text boxes (identifier text is never shortened; other text is shortened
visibly with an ellipsis) and symbol boxes (Code 128, Data Matrix). The ZPL and PDF renderers place
them at their resolution and fit the text with their own font metrics (printers/fit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import (
    ArmbandLabel,
    ChartLabel,
    EncounterDetails,
    Label,
    Media,
    ScanIdentifier,
    SpecimenLabel,
    Symbol,
    label_date,
    label_datetime,
)


@dataclass(frozen=True)
class TextBox:
    x: float
    y: float
    w: float
    h: float
    text: str
    size: float  # preferred character height, mm
    min_size: float  # identifiers shrink down to this before the label is refused
    identifier: str | None = None  # what it is ("patient name") when it must never be shortened
    max_lines: int = 1
    inverse: bool = False  # white on black (alerts)
    what: str = ""  # what other text is, for messages ("alert text")
    instead: str | None = None  # printed in place of the text when it does not fit (never shortened)
    break_at_hyphens: bool = False  # a name may wrap after a hyphen as after a space (a number never does)

    @property
    def subject(self) -> str:
        return self.identifier or self.what or "text"


@dataclass(frozen=True)
class SymbolBox:
    x: float
    y: float
    w: float  # the most it may take, quiet zones included
    h: float
    symbol: Symbol
    module: float  # preferred module (narrow bar / cell) size, mm
    min_module: float


@dataclass(frozen=True)
class Layout:
    media: Media
    texts: tuple[TextBox, ...]
    symbols: tuple[SymbolBox, ...]


#: Smallest module a hospital scanner reads reliably off thermal print (about 7.5 mil).
MIN_MODULE_MM = 0.19
#: A Data Matrix cell of at least 0.25 mm.
MIN_CELL_MM = 0.25
#: The smallest em size of an armband's alert text (about 5 pt capitals).
MIN_ALERT_MM = 1.8
#: The lowest Code 128 bars a label stock may be set to (printers.toml bar_height_mm): the chart label's own
#: 4.5 mm, less a little; ISO/IEC 15417 asks for 0.15 of the symbol's width, 4 mm for the longest chart symbol.
MIN_BAR_HEIGHT_MM = 4.0
#: Taller bars take room from the text rows; an identifier's preferred em size must stay at least this (about
#: 6 pt capitals), or the stock's bar height is refused.
MIN_IDENTIFIER_TEXT_MM = 2.0


def scan_value(label: ArmbandLabel | ChartLabel) -> tuple[str, str]:
    if label.scan is ScanIdentifier.MRN:
        return label.patient.mrn, "MRN"
    return label.encounter.number, "encounter number"


def datamatrix_content(mrn: str, encounter: str) -> str:
    """The armband's 2D symbol: MRN and encounter number, labelled so a reader cannot mix them up."""
    return f"MRN:{mrn}|ENC:{encounter}"


def alerts_instead(details: EncounterDetails) -> str:
    """What an armband says when its alerts do not fit in full: never a partial list of allergies, and never
    without the name alert."""
    count = len([a for a in details.alerts if a.strip()])
    see_chart = f"{'ALLERGIES' if details.allergies else 'ALERTS'}: SEE CHART ({count})"
    return f"{details.name_alert} · {see_chart}" if details.name_alert else see_chart


def _details_line(details: EncounterDetails, gap: str) -> str:
    parts = []
    if details.admitted:
        parts.append(f"Adm {label_date(details.admitted)}")
    if details.attending:
        parts.append(f"Att {details.attending}")
    return gap.join(parts)


def _id_line(label: Label) -> str:
    p = label.patient
    return f"DOB {label_date(p.birth_date)}   Sex {p.sex_letter}"


def armband_layout(label: ArmbandLabel, media: Media) -> Layout:
    """Name across the band; identifiers and details on the left; Code 128 and Data Matrix on the right.
    Sizes are fractions of the band height, so an infant band (narrower, shorter) scales down."""
    p, e = label.patient, label.encounter
    W, H = media.width_mm, media.height_mm
    m = max(1.5, H * 0.06)
    u = (H - 2 * m) / 6.2  # one text row
    scan, scan_what = scan_value(label)
    dm_size = min(H - 2 * m - u * 1.1, W * 0.12)
    code_w = min(W * 0.34, 70.0)
    code_x = W - m - dm_size - 2.5 - code_w
    text_w = code_x - m - 1.5
    alerts = " · ".join(a.strip() for a in (e.name_alert, *e.alerts) if a.strip())
    y1 = m + u * 1.35
    texts = [
        TextBox(m, m, W - 2 * m, u * 1.35, p.name_last_first, size=u * 1.25, min_size=min(2.2, u),
                identifier="patient name"),
        TextBox(m, y1, text_w, u, _id_line(label), size=u * 0.95, min_size=min(1.8, u * 0.8),
                identifier="date of birth"),
        TextBox(m, y1 + u, text_w, u, f"MRN {p.mrn}   Enc {e.number}", size=u * 0.95, min_size=min(1.8, u * 0.8),
                identifier="MRN and encounter number"),
        TextBox(m, y1 + 2 * u, text_w, u, _details_line(e, "   "), size=u * 0.85, min_size=u * 0.6,
                what="admission and attending line"),
    ]
    if alerts:
        # Two lines at most, shrinking to a size still read at arm's length; past that "SEE CHART", never a
        # list cut short.
        texts.append(TextBox(m, y1 + 3 * u + 0.3, text_w, u * 1.55, alerts, size=u * 0.85,
                             min_size=max(u * 0.6, MIN_ALERT_MM),
                             max_lines=2, inverse=True, what="alert text", instead=alerts_instead(e)))
    room = H - 2 * m - u * 2.6
    code_h = min(media.bar_height_mm, room) if media.bar_height_mm else room
    symbols = [
        SymbolBox(code_x, y1, code_w, code_h, Symbol("Code128", scan, scan_what), module=0.25,
                  min_module=MIN_MODULE_MM),
        SymbolBox(W - m - dm_size, y1, dm_size, dm_size,
                  Symbol("DataMatrix", datamatrix_content(p.mrn, e.number), "MRN and encounter number"),
                  module=0.4, min_module=MIN_CELL_MM),
    ]
    texts.append(TextBox(code_x, y1 + code_h + 0.3, code_w, u, scan, size=u * 0.9, min_size=min(1.8, u * 0.8),
                         identifier=scan_what))
    return Layout(media, tuple(texts), tuple(symbols))


def chart_layout(label: ChartLabel, media: Media) -> Layout:
    """A chart label: name, birth date and sex, MRN and encounter, admission and attending, Code 128."""
    p, e = label.patient, label.encounter
    W, H = media.width_mm, media.height_mm
    m = max(1.2, H * 0.05)
    # Five rows of text (5.3 units) above the bars; the bars 1.3 units, or the stock's bar height.
    u = (H - 2 * m - media.bar_height_mm) / 5.3 if media.bar_height_mm else (H - 2 * m) / 6.6
    scan, scan_what = scan_value(label)
    texts = [
        TextBox(m, m, W - 2 * m, u * 2.3, p.name_last_first, size=u * 1.15, min_size=min(2.0, u), max_lines=2,
                identifier="patient name", break_at_hyphens=True),
        TextBox(m, m + u * 2.35, W - 2 * m, u, _id_line(label), size=u * 0.95, min_size=min(1.8, u * 0.8),
                identifier="date of birth"),
        TextBox(m, m + u * 3.35, W - 2 * m, u, f"MRN {p.mrn}  Enc {e.number}", size=u * 0.95,
                min_size=min(1.8, u * 0.8), identifier="MRN and encounter number"),
        TextBox(m, m + u * 4.35, W - 2 * m, u * 0.9, _details_line(e, "  "), size=u * 0.8, min_size=u * 0.6,
                what="admission and attending line"),
    ]
    symbols = [SymbolBox(m, m + u * 5.3, W - 2 * m, H - m - (m + u * 5.3), Symbol("Code128", scan, scan_what),
                         module=0.25, min_module=MIN_MODULE_MM)]
    return Layout(media, tuple(texts), tuple(symbols))


def specimen_layout(label: SpecimenLabel, media: Media) -> Layout:
    """A 2 × 1 in (CLSI AUTO12) specimen label: name and birth date, MRN, accession in Code 128 with its
    text, test and container."""
    p = label.patient
    W, H = media.width_mm, media.height_mm
    m = max(1.2, H * 0.05)
    # Rows of text: 3.2 units above the bars and 2.1 below; the bars 2.3 units, or the stock's bar height.
    u = (H - 2 * m - media.bar_height_mm) / 5.1 if media.bar_height_mm else (H - 2 * m) / 7.4
    code_y = m + u * 3.2
    code_h = media.bar_height_mm or u * 2.3
    texts = [
        TextBox(m, m, W - 2 * m, u * 2.1, p.name_last_first, size=u * 1.05, min_size=min(1.8, u), max_lines=3,
                identifier="patient name", break_at_hyphens=True),
        TextBox(m, m + u * 2.15, W - 2 * m, u, f"DOB {label_date(p.birth_date)} {p.sex_letter}  MRN {p.mrn}",
                size=u * 0.95, min_size=min(1.7, u * 0.8), identifier="date of birth and MRN"),
        TextBox(m, code_y + code_h + 0.2, W * 0.45 - m, u, label.accession, size=u * 0.95,
                min_size=min(1.7, u * 0.8), identifier="accession number"),
        TextBox(W * 0.45, code_y + code_h + 0.2, W * 0.55 - m, u,
                label_datetime(label.collected) if label.collected else "Collected ____ ____",
                size=u * 0.8, min_size=u * 0.6, what="collection time"),
    ]
    bottom = code_y + code_h + u * 1.15
    detail_x = m
    if label.name_alert:
        # White on black at the start of the last row, sized to its text; the test and container take the rest.
        alert_w = min(W * 0.45, len(label.name_alert) * u * 0.62 + 2 * 0.6)
        texts.append(TextBox(m, bottom, alert_w, u, label.name_alert, size=u * 0.85, min_size=min(1.6, u * 0.7),
                             inverse=True, identifier="name alert"))
        detail_x = m + alert_w + 0.8
    texts.append(TextBox(detail_x, bottom, W - m - detail_x, u, f"{label.test} · {label.container}", size=u * 0.9,
                         min_size=u * 0.6, what="test and container"))
    symbols = [SymbolBox(m, code_y, W - 2 * m, code_h, Symbol("Code128", label.accession, "accession number"),
                         module=0.25, min_module=MIN_MODULE_MM)]
    return Layout(media, tuple(texts), tuple(symbols))


def layout_for(label: Label, media: Media) -> Layout:
    if isinstance(label, ArmbandLabel):
        return armband_layout(label, media)
    if isinstance(label, ChartLabel):
        return chart_layout(label, media)
    return specimen_layout(label, media)
