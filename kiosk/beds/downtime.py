"""The downtime census: when the FHIR server cannot be reached, the bed board is drawn from the census
kept in the kiosk's database (kiosk.census), read-only and marked with its time, and the unit's census
sheet prints as a PDF (reportlab) for the paper downtime procedure.

The kept census is the shared census's own row: nothing more is stored for downtime. It is shown only
while it was known current less than census.downtime_keep_hours ago, and deleted after that.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiosk import timeutil
from kiosk.census import CensusStore
from kiosk.fhir.gateway import FhirGateway
from printers.fonts import font_path

from .board import BedTile, Board, BoardBuilder, Downtime, PatientSummary
from .settings import BedSettings

#: Why every panel offers no action while the server cannot be reached.
READ_ONLY = ("The FHIR server cannot be reached: this board is the last census the kiosk read, and nothing "
             "can be changed until the server answers again. Use the paper downtime procedure.")

SHEET_FONT = "KioskSheetSans"
SHEET_FONT_BOLD = "KioskSheetSans-Bold"
SHEET_COLUMNS = ("Bed", "Patient", "MRN", "Age/sex", "Attending", "Alerts", "Expected discharge")


def downtime_board(gw: FhirGateway, settings: BedSettings, store: CensusStore, now: datetime) -> Board | None:
    """The board from the kept census, marked with its time, without a request to the server; None when
    no census of this unit is kept (or it is older than the keep time)."""
    kept = store.kept(gw)
    if kept is None:
        return None
    # The names of places on other units are not kept: a move elsewhere shows without its bed's name.
    board = BoardBuilder(kept.census, settings, now, {}).build()
    board.downtime = Downtime(unreachable_since=kept.unreachable_since, as_of=kept.as_of)
    board.fetched_at = kept.as_of  # 'checked' / 'Updated' on the board say the census's time, not now
    return board


@dataclass(frozen=True)
class SheetRow:
    bed: str
    patient: str
    mrn: str
    age_sex: str
    attending: str
    alerts: str
    expected: str


def sheet_rows(board: Board) -> list[SheetRow]:
    """One row per bed, in the board's order: its occupant, or its state when empty."""
    rows = []
    for room in board.rooms:
        for tile in room.beds:
            rows.append(_row(tile))
    return rows


def _row(tile: BedTile) -> SheetRow:
    p = tile.patient
    if p is None:
        reserved = "; ".join(f"reserved for {r.name}" for r in tile.reserved_for)
        state = tile.state.label.lower() + (f": {tile.blocked_reason}" if tile.blocked_reason else "")
        return SheetRow(tile.name, reserved or f"({state})", "", "", "", "", "")
    return SheetRow(tile.name, p.name, p.mrn or "", _age_sex(p), p.attending or "", _alerts(p),
                    p.expected_label or "")


def _age_sex(p: PatientSummary) -> str:
    return " ".join(part for part in (p.age, p.sex) if part)


def _alerts(p: PatientSummary) -> str:
    return "; ".join(f.text for f in p.flags if f.kind != "edd")


@functools.cache
def _fonts() -> tuple[str, str]:
    pdfmetrics.registerFont(TTFont(SHEET_FONT, str(font_path("DejaVuSansCondensed.ttf"))))
    pdfmetrics.registerFont(TTFont(SHEET_FONT_BOLD, str(font_path("DejaVuSansCondensed-Bold.ttf"))))
    return SHEET_FONT, SHEET_FONT_BOLD


def census_sheet(board: Board, printed_at: datetime, printed_by: str) -> bytes:
    """The unit's downtime census sheet (A4 landscape PDF): every bed and its occupant, then the
    pending admissions, headed by the census's time and whether the server was reachable."""
    regular, bold = _fonts()
    small = ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", fontName=bold, fontSize=8.5, leading=10.5)
    title = ParagraphStyle("title", fontName=bold, fontSize=15, leading=19)
    note = ParagraphStyle("note", fontName=regular, fontSize=9.5, leading=12)
    printed = timeutil.local(printed_at).strftime("%a %d %b %Y %H:%M")
    if board.downtime is not None:
        status = board.downtime.sentence + "."
    else:
        status = f"FHIR server reachable; census as of {timeutil.local(board.fetched_at).strftime('%H:%M')}."
    story: list[Flowable] = [
        Paragraph(f"Downtime census: {_esc(board.unit_name)}", title),
        Paragraph(f"{_esc(status)} Printed {printed} by {_esc(printed_by)}. {board.counts.total_beds} beds, "
                  f"{board.counts.occupied} occupied, {board.counts.available} available.", note),
        Spacer(1, 3 * mm),
        _table([SHEET_COLUMNS, *[_cells(r) for r in sheet_rows(board)]], head, small,
               (30, 52, 26, 18, 42, 66, 30)),
        Spacer(1, 5 * mm),
        Paragraph("Pending admissions", title),
    ]
    admissions = board.pending_admissions
    if admissions:
        story.append(_table([("Patient", "MRN", "Age/sex", "Reserved bed", "Planned"),
                             *[(i.patient.name, i.patient.mrn or "", _age_sex(i.patient), i.reserved_bed or "",
                                i.detail) for i in admissions]], head, small, (60, 30, 20, 30, 120)))
    else:
        story.append(Paragraph("None planned.", note))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=f"Downtime census {board.unit_name}",
                            author="Unit Coordinator Kiosk")
    doc.build(story, onFirstPage=_footer(printed), onLaterPages=_footer(printed))
    return out.getvalue()


def _cells(row: SheetRow) -> tuple[str, ...]:
    return (row.bed, row.patient, row.mrn, row.age_sex, row.attending, row.alerts, row.expected)


def _table(rows: Iterable[Iterable[str]], head: ParagraphStyle, cell: ParagraphStyle,
           widths_mm: tuple[int, ...]) -> Table:
    data = [[Paragraph(_esc(text), head if i == 0 else cell) for text in row] for i, row in enumerate(rows)]
    table = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e7eb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f6f8")]),
    ]))
    return table


def _footer(printed: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_fonts()[0], 8)
        canvas.drawString(12 * mm, 7 * mm, f"Confidential patient information. Printed {printed}. "
                                           "Shred when the server is back.")
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, 7 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
