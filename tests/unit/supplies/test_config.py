"""The par-levels and supplies files: the shipped ones load; a wrong entry stops start-up with one
sentence naming the file and the line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.supplies.config import load_par_levels, load_supplies
from tests.support.supplies import SMALL_PAR

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "par-levels.toml"
    path.write_text(text)
    return path


def one_sentence(message: str) -> bool:
    return message.endswith(".") and not re.search(r"\.\s+[A-Z]", message) and "\n" not in message


def test_the_shipped_par_levels_are_a_realistic_med_surg_list() -> None:
    par = load_par_levels(ROOT / "config" / "par-levels.toml")
    assert [loc.name for loc in par.locations] == ["Supply room", "Clean utility", "Crash cart", "Nourishment room"]
    assert 40 <= par.item_count <= 80
    kits = par.location("SUPPLY").item("100112")
    assert (kits.description, kits.unit, kits.par, kits.reorder_point, kits.bin) == (
        "IV start kit", "each", 30, 12, "4W-SR-A01")
    assert par.location("CRASH").physical_type == "ca"


def test_the_shipped_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("KIOSK_"):
            monkeypatch.delenv(key)
    config = load_supplies(load_settings())
    assert config.unit_code == "4W"
    assert config.settings.stale_after.total_seconds() == 24 * 3600
    assert config.settings.unlisted_supply_request_servers == ("SEKMET FHIR R4 Tester",)


BAD_FILES = [
    ("a negative par", SMALL_PAR.replace("par = 30, reorder = 12", "par = -5, reorder = 12"), 11,
     "item 100112 in Supply room has par -5; par must be a whole number from 1 to 100000."),
    ("a duplicate item code", SMALL_PAR.replace('"100802"', '"100112"'), 13,
     "item code 100112 appears twice in Supply room (first on line 11); each item is listed once per location."),
    ("an unknown location", SMALL_PAR.replace("CRASH = [", "CRASHCART = ["), 16,
     "items are listed for location 'CRASHCART', which is not declared; the locations are SUPPLY, CRASH."),
    ("a fractional par", SMALL_PAR.replace("par = 24", "par = 24.5"), 13,
     "item 100802 in Supply room has par 24.5; par must be a whole number from 1 to 100000."),
    ("a reorder point at par", SMALL_PAR.replace("par = 2, reorder = 1, bin", "par = 2, reorder = 2, bin"), 17,
     "item 300110 in Crash cart has reorder point 2; it must be a whole number from 0 to 1 (below its par of 2)."),
    ("an unquoted item code", SMALL_PAR.replace('code = "100910"', "code = 100910"), 14,
     "an item of Supply room has code 100910; an item code is quoted text of letters, digits, dots or dashes "
     "(up to 32)."),
    ("a misspelt key", SMALL_PAR.replace('unit = "box"', 'uom = "box"'), 13,
     "'uom' is not an item setting (code, description, unit, par, reorder, bin)."),
    ("a bin used twice", SMALL_PAR.replace('"T-CC-01"', '"T-SR-A01"'), 17,
     "bin code T-SR-A01 of item 300110 is already the bin of item 100112; a scan must find one bin."),
    ("an unknown location kind", SMALL_PAR.replace('kind = "cabinet"', 'kind = "cart"'), 7,
     "kind of location CRASH must be one of room, cabinet, area, not 'cart'."),
    ("a missing description", SMALL_PAR.replace('description = "Isolation gown, yellow", ', ""), 14,
     "item 100910 in Supply room needs a description of 1 to 120 characters."),
]


@pytest.mark.parametrize(("what", "text", "line", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_par_file_names_the_line(tmp_path: Path, what: str, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_par_levels(path)
    assert str(err.value) == f"{path} line {line}: {message}"
    assert one_sentence(str(err.value))
    assert text.splitlines()[line - 1].strip()  # the named line is the one with the problem


def test_invalid_toml_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PAR.replace('unit = "box"', 'unit = "box'))
    with pytest.raises(ConfigError, match=r"par-levels.toml is not valid TOML: .*line 13"):
        load_par_levels(path)


def test_a_bad_setting_in_the_environment_names_the_variable(tmp_path: Path) -> None:
    settings = load_settings(env={"KIOSK_CONFIG": str(ROOT / "config" / "kiosk.toml")})
    with pytest.raises(ConfigError, match=r"^Environment variable KIOSK_SUPPLIES_STALE_AFTER_HOURS: "
                                          r"stale_after_hours must be a number, not 'soon'\.$"):
        load_supplies(settings, {"KIOSK_SUPPLIES_STALE_AFTER_HOURS": "soon"})
    par = write(tmp_path, SMALL_PAR)
    config = load_supplies(settings, {"KIOSK_SUPPLIES_PAR_LEVELS": str(par),
                                      "KIOSK_SUPPLIES_UNLISTED_SUPPLY_REQUEST_SERVERS": "A, B"})
    assert config.par.item_count == 6 and config.settings.unlisted_supply_request_servers == ("A", "B")


def test_a_misspelt_supplies_setting_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "supplies.toml"
    path.write_text('par_levels = "config/par-levels.toml"\nstale_after_hour = 8\n')
    settings = load_settings(env={"KIOSK_CONFIG": str(ROOT / "config" / "kiosk.toml")})
    with pytest.raises(ConfigError, match=r"supplies.toml line 2: 'stale_after_hour' is not a supplies setting"):
        load_supplies(settings, {"KIOSK_SUPPLIES_CONFIG": str(path)})
