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


@pytest.mark.parametrize("language", ["zpl", "pdf"])
def test_a_stocks_bar_height_sets_the_bars_of_its_labels(language: str) -> None:
    """Tube labels for an analyser that asks for 10 mm bars: the specimen's Code 128 is 10 mm high (80 dots at
    203 dpi) and still reads back; the chart label keeps its own 4.5 mm."""
    from printers import render_pdf, render_zpl, verify
    from printers.layout import layout_for
    from printers.model import sample_label

    config = parse(with_change(["media", "specimen", "bar_height_mm"], 10))
    media = config.media[LabelType.SPECIMEN]
    assert media.bar_height_mm == 10
    assert [b.h for b in layout_for(sample_label(LabelType.SPECIMEN), media).symbols] == [10]
    assert [round(b.h, 2) for b in layout_for(sample_label(LabelType.CHART), config.media[LabelType.CHART]).symbols] \
        == [4.5]
    label = sample_label(LabelType.SPECIMEN)
    rendered = render_zpl(label, media, 203) if language == "zpl" else render_pdf(label, media, dpi=203)
    if language == "zpl":
        assert b"^BY2,3,80^BCN,80,N,N,N" in rendered.data
    assert [d.text for d in verify(rendered).decoded] == ["TEST-00000003"]


@pytest.mark.parametrize(("label_type", "value", "message"), [
    ("chart", 3, "must be a number from 4 to 25.4, not 3"),
    ("chart", 12, "leaves too little room for the text of the chart label on this 66.675 x 25.4 mm stock"),
    ("infant-armband", 10, "leaves too little room for the text of the infant-armband label"),
    ("specimen", "tall", "must be a number from 4 to 25.4"),
])
def test_a_bar_height_that_cannot_work_is_named_with_its_line(label_type: str, value: Any, message: str,
                                                              tmp_path: Path) -> None:
    """Loaded as the kiosk loads it (kiosk.labels.printing): the error names the file and the line."""
    from kiosk.config import load_settings
    from kiosk.labels.printing import printers_config

    text = (ROOT / "config" / "printers.toml").read_text()
    header = f"[media.{label_type}]\n"
    lines = text[:text.index(header)].count("\n") + 2  # the line after the table's header
    path = tmp_path / "printers.toml"
    path.write_text(text.replace(header, f"{header}bar_height_mm = {value!r}\n".replace("'", '"')))
    with pytest.raises(PrinterConfigError) as error:
        printers_config(load_settings(), path)
    assert str(error.value).startswith(f"Setting media.{label_type}.bar_height_mm in {path} line {lines} ")
    assert message in str(error.value)
