"""printers.toml is checked at load; a wrong setting gets one sentence naming it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from printers import LabelType, PrinterConfigError, parse_printers_config
from printers.transports import CupsTransport, FolderTransport, TcpTransport

ROOT = Path(__file__).resolve().parents[3]


def shipped() -> dict[str, Any]:
    return tomllib.loads((ROOT / "config" / "printers.toml").read_text())


def parse(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_printers_config(data, "printers.toml", ROOT)


def test_the_shipped_settings_load_with_media_and_station_defaults() -> None:
    config = parse(shipped())
    assert set(config.media) == set(LabelType)
    assert config.media[LabelType.SPECIMEN].size_text == "2 × 1 in"
    assert config.media[LabelType.ADULT_ARMBAND].rotated
    assert config.default_printer("4W-NS-1", LabelType.ADULT_ARMBAND).id == "4W-WRISTBAND"  # type: ignore[union-attr]
    assert isinstance(config.printers["4W-LABELS"].make_transport(), FolderTransport)
    assert config.retry.delay_after(1) == 15 and config.retry.delay_after(20) == 600


def with_change(path: list[str], value: Any) -> dict[str, Any]:
    data = shipped()
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "setting", "message"), [
    (["printers", "4W-LABELS", "transport"], "usb", "printers.4W-LABELS.transport", "must be one of tcp, cups, folder"),
    (["printers", "4W-LABELS", "dpi"], 250, "printers.4W-LABELS.dpi", "must be one of 152, 203, 300, 600"),
    (["printers", "4W-LABELS", "labels"], ["armband"], "printers.4W-LABELS.labels", "unknown label type 'armband'"),
    (["printers", "4W-LABELS", "colour"], "red", "printers.4W-LABELS.colour", "is not a known setting"),
    (["media", "specimen"], None, "media", "has no label stock for specimen"),
    (["media", "chart", "width_in"], 40, "media.chart.width_in", "must be a number from 0.2 to 24"),
    (["stations", "4W-NS-1", "chart"], "NO-SUCH", "stations.4W-NS-1.chart", "names printer 'NO-SUCH', which is not"),
    (["stations", "4W-NS-1", "specimen"], "4W-WRISTBAND", "stations.4W-NS-1.specimen", "is not loaded with specimen"),
    (["scan", "armband_barcode"], "name", "scan.armband_barcode", "must be encounter or mrn"),
])
def test_wrong_settings_are_named(path: list[str], value: Any, setting: str, message: str) -> None:
    with pytest.raises(PrinterConfigError) as error:
        parse(with_change(path, value))
    assert str(error.value).startswith(f"Setting {setting} in printers.toml ") and message in str(error.value)


def test_tcp_and_cups_printers_make_their_transports() -> None:
    data = shipped()
    data["printers"]["ZEBRA"] = {"name": "Zebra", "transport": "tcp", "language": "zpl", "dpi": 300,
                                 "host": "10.0.4.21", "labels": ["chart"]}
    data["printers"]["LASER"] = {"name": "Laser", "transport": "cups", "language": "pdf", "queue": "4W_LASER",
                                 "labels": ["chart"]}
    data["printers"]["ZEBRA-Q"] = {"name": "Zebra queue", "transport": "cups", "language": "zpl", "dpi": 203,
                                   "queue": "ZEBRA", "labels": ["chart"]}
    config = parse(data)
    assert config.printers["ZEBRA"].make_transport() == TcpTransport("10.0.4.21", 9100, 3.0, 10.0)
    assert config.printers["LASER"].make_transport() == CupsTransport("4W_LASER", "", raw=False)
    assert config.printers["ZEBRA-Q"].make_transport() == CupsTransport("ZEBRA", "", raw=True)
    assert config.printers["ZEBRA"].description == "ZPL 300 dpi · TCP 10.0.4.21:9100"
    data["printers"]["BAD"] = {"name": "Bad", "transport": "tcp", "language": "pdf", "host": "x", "labels": ["chart"]}
    with pytest.raises(PrinterConfigError, match="must be zpl for a raw TCP"):
        parse(data)


def test_how_long_the_kiosk_waits_for_a_printers_word_is_set_per_printer() -> None:
    data = shipped()
    data["printers"]["ZEBRA"] = {"name": "Zebra", "transport": "tcp", "language": "zpl", "dpi": 300,
                                 "host": "10.0.4.21", "labels": ["chart"], "status_timeout": 1.5, "confirm_wait": 8}
    data["retry"]["confirm_within_s"] = 900
    config = parse(data)
    assert config.printers["ZEBRA"].make_transport() == TcpTransport("10.0.4.21", 9100, 3.0, 10.0, 1.5, 8.0)
    assert config.printers["ZEBRA"].longest_send_s == 3 + 10 + 3 * 1.5 + 8
    assert config.retry.confirm_within_s == 900


@pytest.mark.parametrize(("change", "setting", "message"), [
    ({"status_timeout": 0}, "printers.ZEBRA.status_timeout", "must be a number from 0.1 to 60"),
    ({"confirm_wait": 61}, "printers.ZEBRA.confirm_wait", "must be a number from 0 to 60"),
    ({"send_timeout": 250, "confirm_wait": 60}, "retry.stale_claim_s",
     "must be longer than the longest send to printer ZEBRA (322 s with its timeouts)"),
])
def test_waits_that_could_not_work_are_named(change: dict[str, Any], setting: str, message: str) -> None:
    data = shipped()
    data["printers"]["ZEBRA"] = {"name": "Zebra", "transport": "tcp", "language": "zpl", "dpi": 300,
                                 "host": "10.0.4.21", "labels": ["chart"], **change}
    with pytest.raises(PrinterConfigError) as error:
        parse(data)
    assert str(error.value).startswith(f"Setting {setting} in printers.toml ") and message in str(error.value)
