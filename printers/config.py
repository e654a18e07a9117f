"""config/printers.toml: the printers, the label stock for each label type, each station's default
printer per label type, the scanned identifier and the retry policy. Validated at load; a wrong
setting raises PrinterConfigError with one sentence naming it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DoesNotFit, LabelError, PrinterConfigError
from .fonts import can_draw, right_to_left
from .layout import MIN_BAR_HEIGHT_MM, MIN_IDENTIFIER_TEXT_MM
from .model import LabelType, Media, ScanIdentifier
from .pdf import DEFAULT_PDF_DPI
from .transports import CupsTransport, FolderTransport, TcpTransport, Transport
from .zpl import SUPPORTED_DPI

TRANSPORTS = ("tcp", "cups", "folder")
LANGUAGES = ("zpl", "pdf")


@dataclass(frozen=True)
class PrinterSettings:
    id: str
    name: str
    transport: str
    language: str
    labels: tuple[LabelType, ...]
    dpi: int = 203
    host: str = ""
    port: int = 9100
    connect_timeout: float = 3.0
    send_timeout: float = 10.0
    #: How long a Zebra may take to answer one host status query (~HS).
    status_timeout: float = 3.0
    #: How long sending waits for the printer (or CUPS) to confirm the job before leaving it "sent, waiting for
    #: the printer" for the print-retry job to follow.
    confirm_wait: float = 5.0
    queue: str = ""
    server: str = ""
    path: Path | None = None

    def make_transport(self) -> Transport:
        if self.transport == "tcp":
            return TcpTransport(self.host, self.port, self.connect_timeout, self.send_timeout, self.status_timeout,
                                self.confirm_wait)
        if self.transport == "cups":
            return CupsTransport(self.queue, self.server, raw=self.language == "zpl", confirm_wait=self.confirm_wait)
        assert self.path is not None
        return FolderTransport(self.path)

    @property
    def longest_send_s(self) -> float:
        """The longest a send can take with these timeouts (a Zebra: connecting, its status before the label, the
        label, its status after, waiting for it to finish, and the last status asked before the wait ran out)."""
        if self.transport == "tcp":
            return self.connect_timeout + self.send_timeout + 3 * self.status_timeout + self.confirm_wait
        return self.confirm_wait if self.transport == "cups" else 0.0

    @property
    def description(self) -> str:
        return f"{self.language.upper()} {self.dpi} dpi · {self.make_transport().describe()}"


@dataclass(frozen=True)
class RetrySettings:
    first_delay_s: float = 15.0
    max_delay_s: float = 600.0
    max_attempts: int = 100
    #: A job claimed for sending longer ago than this was cut off mid-send: it may or may not have printed.
    stale_claim_s: float = 300.0
    #: A job sent but not yet confirmed by its printer is followed by the print-retry job; still unconfirmed
    #: this long after it was sent, it becomes "check the printer".
    confirm_within_s: float = 600.0

    def delay_after(self, attempts: int) -> float:
        return min(self.max_delay_s, self.first_delay_s * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class RetentionSettings:
    #: The label bytes of a finished job (they carry the patient's name, birth date and MRN) are emptied
    #: this many days after it ended; the job's record stays.
    label_bytes_days: int = 7


@dataclass(frozen=True)
class PrintersConfig:
    printers: dict[str, PrinterSettings]
    media: dict[LabelType, Media]
    stations: dict[str, dict[LabelType, str]]
    scan: ScanIdentifier = ScanIdentifier.ENCOUNTER
    retry: RetrySettings = field(default_factory=RetrySettings)
    source: str = ""
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    #: Printed on armbands and specimen labels when another patient on the unit shares family name and initial.
    same_name_alert: str = "SAME NAME"

    def printers_for(self, label_type: LabelType) -> list[PrinterSettings]:
        return [p for p in self.printers.values() if label_type in p.labels]

    def default_printer(self, station: str, label_type: LabelType) -> PrinterSettings | None:
        printer_id = self.stations.get(station, {}).get(label_type)
        if printer_id:
            return self.printers[printer_id]
        choices = self.printers_for(label_type)
        return choices[0] if choices else None


LineOf = Callable[[tuple[str | int, ...]], int | None]


class _Reader:
    def __init__(self, origin: str, line_of: LineOf | None = None):
        self.origin = origin
        self.line_of = line_of

    def fail(self, setting: str, message: str) -> PrinterConfigError:
        """One sentence naming the setting, the file and (when known) the line where the setting is."""
        line = self.line_of(tuple(setting.split("."))) if self.line_of else None
        where = f"{self.origin} line {line}" if line else self.origin
        return PrinterConfigError(f"Setting {setting} in {where} {message}.")

    def table(self, data: Any, setting: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(setting, "must be a table")
        return data

    def only(self, data: dict[str, Any], setting: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(f"{setting}.{key}", "is not a known setting; check its spelling")

    def text(self, data: dict[str, Any], key: str, setting: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(f"{setting}.{key}", "must be text" + ("" if default is not None else " and is required"))
        return value

    def number(self, data: dict[str, Any], key: str, setting: str, default: float, low: float, high: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(f"{setting}.{key}", f"must be a number from {low:g} to {high:g}, not {value!r}")
        return float(value)

    def label_type(self, value: Any, setting: str) -> LabelType:
        try:
            return LabelType(value)
        except ValueError:
            names = ", ".join(t.value for t in LabelType)
            raise self.fail(setting, f"names an unknown label type {value!r} (known: {names})") from None


def _media(r: _Reader, data: dict[str, Any]) -> dict[LabelType, Media]:
    media: dict[LabelType, Media] = {}
    for key, raw in r.table(data, "media").items():
        setting = f"media.{key}"
        label_type = r.label_type(key, setting)
        table = r.table(raw, setting)
        r.only(table, setting, {"name", "width_in", "height_in", "width_mm", "height_mm", "rotated", "bar_height_mm"})
        if ("width_in" in table) == ("width_mm" in table) or ("height_in" in table) == ("height_mm" in table):
            raise r.fail(setting, "must give the size once, as width_in and height_in or width_mm and height_mm")
        width = r.number(table, "width_in", setting, 0, 0.2, 24) * 25.4 if "width_in" in table else \
            r.number(table, "width_mm", setting, 0, 5, 600)
        height = r.number(table, "height_in", setting, 0, 0.2, 24) * 25.4 if "height_in" in table else \
            r.number(table, "height_mm", setting, 0, 5, 600)
        rotated = table.get("rotated", False)
        if not isinstance(rotated, bool):
            raise r.fail(f"{setting}.rotated", "must be true or false")
        bar_height = None
        if "bar_height_mm" in table:
            bar_height = r.number(table, "bar_height_mm", setting, 0, MIN_BAR_HEIGHT_MM, height)
        media[label_type] = Media(r.text(table, "name", setting), width, height, rotated, bar_height)
        if bar_height is not None:
            _check_bar_height(r, label_type, media[label_type], setting)
    missing = [t.value for t in LabelType if t not in media]
    if missing:
        raise r.fail("media", f"has no label stock for {', '.join(missing)}; add [media.{missing[0]}]")
    return media


def _check_bar_height(r: _Reader, label_type: LabelType, media: Media, setting: str) -> None:
    """A sample label of this type, with long identifiers, must still fit the stock with bars this high: the text
    rows give way to the bars, but an identifier's text is never set under MIN_IDENTIFIER_TEXT_MM for them."""
    from .layout import layout_for
    from .model import sample_label
    from .zpl import lay_out

    layout = layout_for(sample_label(label_type), media)
    tall = [b.h for b in layout.symbols if b.symbol.kind == "Code128"]
    try:
        if tall and tall[0] + 1e-9 < (media.bar_height_mm or 0):
            raise DoesNotFit("the bars")
        if any(b.identifier and b.size < MIN_IDENTIFIER_TEXT_MM - 1e-9 for b in layout.texts):
            raise DoesNotFit("the identifiers' text")
        lay_out(sample_label(label_type), media, 300, layout)
    except LabelError:
        raise r.fail(f"{setting}.bar_height_mm", f"leaves too little room for the text of the {label_type.value} "
                                                 f"label on this {media.width_mm:g} x {media.height_mm:g} mm stock; "
                                                 "lower it or use a larger stock") from None


PRINTER_KEYS = {"name", "transport", "language", "labels", "dpi", "host", "port", "connect_timeout",
                "send_timeout", "status_timeout", "confirm_wait", "queue", "server", "path"}


def _printer(r: _Reader, printer_id: str, raw: Any, root: Path) -> PrinterSettings:
    setting = f"printers.{printer_id}"
    table = r.table(raw, setting)
    r.only(table, setting, PRINTER_KEYS)
    transport = r.text(table, "transport", setting)
    if transport not in TRANSPORTS:
        raise r.fail(f"{setting}.transport", f"must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
    language = r.text(table, "language", setting)
    if language not in LANGUAGES:
        raise r.fail(f"{setting}.language", f"must be zpl or pdf, not {language!r}")
    labels = table.get("labels")
    if not isinstance(labels, list) or not labels:
        raise r.fail(f"{setting}.labels", "must list the label types loaded in this printer")
    dpi = int(r.number(table, "dpi", setting, 203 if language == "zpl" else DEFAULT_PDF_DPI, 100, 600))
    if dpi not in SUPPORTED_DPI:
        raise r.fail(f"{setting}.dpi", f"must be one of {', '.join(map(str, SUPPORTED_DPI))}, not {dpi}")
    if transport == "tcp" and language != "zpl":
        raise r.fail(f"{setting}.language", "must be zpl for a raw TCP (port 9100) printer")
    path = None
    if transport == "folder":
        path = Path(r.text(table, "path", setting))
        path = path if path.is_absolute() else root / path
    printer = PrinterSettings(
        id=printer_id,
        name=r.text(table, "name", setting),
        transport=transport,
        language=language,
        labels=tuple(r.label_type(v, f"{setting}.labels") for v in labels),
        dpi=dpi,
        host=r.text(table, "host", setting) if transport == "tcp" else "",
        port=int(r.number(table, "port", setting, 9100, 1, 65535)),
        connect_timeout=r.number(table, "connect_timeout", setting, 3.0, 0.1, 60),
        send_timeout=r.number(table, "send_timeout", setting, 10.0, 0.1, 300),
        status_timeout=r.number(table, "status_timeout", setting, 3.0, 0.1, 60),
        confirm_wait=r.number(table, "confirm_wait", setting, 5.0, 0, 60),
        queue=r.text(table, "queue", setting) if transport == "cups" else "",
        server=r.text(table, "server", setting, ""),
        path=path,
    )
    return printer


def parse_printers_config(data: dict[str, Any], origin: str, root: Path,
                          line_of: LineOf | None = None) -> PrintersConfig:
    """The settings in `data` (from `origin`); `line_of` gives the line of a setting's key path, for errors."""
    r = _Reader(origin, line_of)
    r.only(data, "printers.toml", {"scan", "retry", "retention", "alerts", "media", "printers", "stations"})
    alerts_table = r.table(data.get("alerts", {}), "alerts")
    r.only(alerts_table, "alerts", {"same_name"})
    same_name = " ".join(r.text(alerts_table, "same_name", "alerts", "SAME NAME").split())
    if not 1 <= len(same_name) <= 24 or not can_draw(same_name) or right_to_left(same_name):
        raise r.fail("alerts.same_name", "must be 1 to 24 characters the label font prints left to right")
    scan_raw = data.get("scan", {"armband_barcode": "encounter"})
    scan_table = r.table(scan_raw, "scan")
    r.only(scan_table, "scan", {"armband_barcode"})
    try:
        scan = ScanIdentifier(scan_table.get("armband_barcode", "encounter"))
    except ValueError:
        raise r.fail("scan.armband_barcode", "must be encounter or mrn") from None
    retry_table = r.table(data.get("retry", {}), "retry")
    r.only(retry_table, "retry", {"first_delay_s", "max_delay_s", "max_attempts", "stale_claim_s", "confirm_within_s"})
    retry = RetrySettings(
        first_delay_s=r.number(retry_table, "first_delay_s", "retry", 15, 1, 3600),
        max_delay_s=r.number(retry_table, "max_delay_s", "retry", 600, 1, 86400),
        max_attempts=int(r.number(retry_table, "max_attempts", "retry", 100, 1, 10000)),
        stale_claim_s=r.number(retry_table, "stale_claim_s", "retry", 300, 10, 86400),
        confirm_within_s=r.number(retry_table, "confirm_within_s", "retry", 600, 10, 7 * 86400),
    )
    retention_table = r.table(data.get("retention", {}), "retention")
    r.only(retention_table, "retention", {"label_bytes_days"})
    retention = RetentionSettings(
        label_bytes_days=int(r.number(retention_table, "label_bytes_days", "retention", 7, 1, 3650)))
    media = _media(r, data.get("media", {}))
    printers_table = r.table(data.get("printers", {}), "printers")
    if not printers_table:
        raise r.fail("printers", "must list at least one printer")
    printers = {pid: _printer(r, pid, raw, root) for pid, raw in printers_table.items()}
    for printer in printers.values():
        if printer.longest_send_s >= retry.stale_claim_s:
            raise r.fail("retry.stale_claim_s", f"must be longer than the longest send to printer {printer.id} "
                                                f"({printer.longest_send_s:g} s with its timeouts), or a slow send "
                                                "would be taken for one cut off")
    stations: dict[str, dict[LabelType, str]] = {}
    for station, raw in r.table(data.get("stations", {}), "stations").items():
        defaults: dict[LabelType, str] = {}
        for key, printer_id in r.table(raw, f"stations.{station}").items():
            setting = f"stations.{station}.{key}"
            label_type = r.label_type(key, setting)
            if printer_id not in printers:
                raise r.fail(setting, f"names printer {printer_id!r}, which is not in [printers]")
            if label_type not in printers[printer_id].labels:
                raise r.fail(setting, f"names printer {printer_id!r}, which is not loaded with {label_type.value} "
                                      "labels (its labels list)")
            defaults[label_type] = printer_id
        stations[station] = defaults
    return PrintersConfig(printers, media, stations, scan, retry, origin, retention, same_name)


def load_printers_config(path: Path, root: Path, line_of: LineOf | None = None) -> PrintersConfig:
    if not path.is_file():
        raise PrinterConfigError(f"Printer settings file {path} does not exist (set KIOSK_PRINTERS_CONFIG).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise PrinterConfigError(f"Printer settings file {path} is not valid TOML: {e}.") from None
    return parse_printers_config(data, str(path), root, line_of)
