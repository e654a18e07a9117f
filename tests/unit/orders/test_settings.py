"""The orders settings and the order catalog: the shipped files, and wrong entries named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.orders.settings import ORDERS_FILE, load_catalog, loinc_check_digit


def _settings():  # type: ignore[no-untyped-def]
    return load_settings(env={"KIOSK_WEB_SECRET_KEY": "x"})


def test_the_shipped_settings_and_catalog() -> None:
    shipped = ORDERS_FILE.read(_settings(), env={})
    assert shipped.cosign_hours == 24 and shipped.modes_of("unit_secretary") == ("PC", "VO", "PA")
    assert shipped.modes_of("provider") == ("EL",) and shipped.modes_of("transporter") == ()
    cbc = shipped.catalog.item("57021-8")
    assert cbc is not None and cbc.system == "loinc" and cbc.container == "Lavender top (EDTA)"
    assert {i.category for i in shipped.catalog.items} == {"lab", "imaging", "diet", "nursing", "therapy", "consult"}
    assert [i.code for i in shipped.catalog.favourites_of("4W")][:2] == ["57021-8", "51990-0"]
    assert shipped.catalog.favourites_of("9Z") == shipped.catalog.favourites_of("default")
    assert ORDERS_FILE.read(_settings(), env={"KIOSK_ORDERS_COSIGN_HOURS": "48"}).cosign_hours == 48


def test_search_takes_three_letters_and_tells_a_drug_apart() -> None:
    catalog = ORDERS_FILE.read(_settings(), env={}).catalog
    assert catalog.search("cb") == []
    assert [i.code for i in catalog.search("cbc")] == ["57021-8"]
    assert [i.code for i in catalog.search("sepsis")] == ["2524-7", "600-7"]
    assert catalog.is_medication("morphine 2 mg") and catalog.is_medication("insulin")
    assert not catalog.is_medication("troponin") and not catalog.is_medication("mg")


def test_a_wrong_catalog_entry_is_named_by_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.toml"
    bad.write_text('[[items]]\ncode = "57021-8"\nsystem = "loinc"\nname = "CBC"\ncategory = "lab"\n'
                   'specimen = "Blood"\n')
    with pytest.raises(ConfigError, match=r"catalog.toml line 1: a lab item's container must be quoted text"):
        load_catalog(bad)
    bad.write_text('[[items]]\ncode = "CBC"\nsystem = "loinc"\nname = "CBC"\ncategory = "lab"\n')
    with pytest.raises(ConfigError, match=r"catalog.toml line 2: each item needs a code: a LOINC code"):
        load_catalog(bad)
    bad.write_text('[[items]]\ncode = "57021-9"\nsystem = "loinc"\nname = "CBC"\ncategory = "lab"\n')
    with pytest.raises(ConfigError, match=r"catalog.toml line 2: 57021-9 is not a LOINC code: its check digit "
                                          r"\(after the '-'\) should be 8"):
        load_catalog(bad)
    bad.write_text('[[items]]\ncode = "npo"\nname = "NPO"\ncategory = "food"\n')
    with pytest.raises(ConfigError, match=r"catalog.toml line 4: category must be one of lab, imaging"):
        load_catalog(bad)
    bad.write_text('[[items]]\ncode = "npo"\nname = "NPO"\ncategory = "diet"\n\n[favourites]\n'
                   'default = ["npo", "cbc"]\n')
    with pytest.raises(ConfigError, match=r"catalog.toml line 7: favourites.default names 'cbc', which is no item"):
        load_catalog(bad)


def test_a_wrong_mode_is_named_by_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "orders.toml"
    bad.write_text('cosign_hours = 24\n\n[modes]\nunit_secretary = ["PC", "PH"]\n')
    with pytest.raises(ConfigError, match=r"orders.toml line 4: modes.unit_secretary must be a list of modes"):
        ORDERS_FILE.read(_settings(), env={"KIOSK_ORDERS_CONFIG": str(bad)})
    bad.write_text('cosign_hour = 24\n')
    with pytest.raises(ConfigError, match=r"'cosign_hour' is not a orders setting"):
        ORDERS_FILE.read(_settings(), env={"KIOSK_ORDERS_CONFIG": str(bad)})


@pytest.mark.parametrize(("code", "check"), [("57021", 8), ("2345", 7), ("600", 7), ("10839", 9), ("24356", 8),
                                             ("2160", 0), ("718", 7), ("4548", 4)])
def test_the_loinc_check_digit(code: str, check: int) -> None:
    """LOINC's mod 10 check digit, against published codes (glucose 2345-7, creatinine 2160-0, hemoglobin
    718-7, HbA1c 4548-4 ...)."""
    assert loinc_check_digit(code) == check
