"""The scanner settings in scanner manuals' notation, read into the keys the page looks for."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.config import ConfigError, load_settings
from kiosk.scanner import ScannerKeys, ScannerSettingError, check_prefix, check_suffix, parse_keys


@pytest.mark.parametrize(("written", "keys"), [
    ("<STX>", ("Control+b",)),
    ("<stx>", ("Control+b",)),
    ("\x02", ("Control+b",)),  # the character itself, as TOML's "\u0002" gives it
    ("<SOH><ETX>", ("Control+a", "Control+c")),
    ("<CR>", ("Enter",)),
    ("<LF>", ("Enter",)),
    ("\r", ("Enter",)),
    ("<TAB>", ("Tab",)),
    ("<HT>", ("Tab",)),
    ("<CR><LF>", ("Enter", "Enter")),
    ("]]", ("]", "]")),
    ("<LT>§<GT>", ("<", "§", ">")),
    ("<STX>*", ("Control+b", "*")),
    ("", ()),
])
def test_the_notation_becomes_the_keys_a_wedge_types(written: str, keys: tuple[str, ...]) -> None:
    assert parse_keys(written) == keys


@pytest.mark.parametrize(("written", "says"), [
    ("<STX", "'<' is not a control character name"),
    ("<FOO>", "'<FOO>' is not a control character name"),
    ("a<b", "write a literal < as <LT>"),
    ("<SO>", "browser as one of its own shortcuts"),  # Ctrl+N
    ("<DC4>", "browser as one of its own shortcuts"),  # Ctrl+T
    ("<ETB>", "browser as one of its own shortcuts"),  # Ctrl+W
    ("<NUL>", "cannot be typed by a keyboard wedge"),
    ("<GS>", "cannot be typed by a keyboard wedge"),
    ("\x7f", "DEL cannot be typed"),
])
def test_what_no_page_can_see_is_refused(written: str, says: str) -> None:
    with pytest.raises(ScannerSettingError, match=says):
        parse_keys(written)


@pytest.mark.parametrize("prefix", ["<STX>", "<STX>]", "]]", "#§", "<SOH>A"])
def test_a_prefix_people_do_not_type_is_accepted(prefix: str) -> None:
    check_prefix(parse_keys(prefix))


@pytest.mark.parametrize(("prefix", "says"), [
    ("A", "must begin with a control character"),
    ("#", "must begin with a control character"),
    ("#1", "must begin with a control character"),
    ("# ", "must begin with a control character"),
    ("<CR>", "may not contain"),
    ("<STX><TAB>", "may not contain"),
    ("<ESC>", "may not contain"),
])
def test_a_prefix_a_person_might_type_is_refused(prefix: str, says: str) -> None:
    with pytest.raises(ScannerSettingError, match=says):
        check_prefix(parse_keys(prefix))


def test_a_suffix_is_needed_and_short() -> None:
    check_suffix(parse_keys("<CR>"))
    check_suffix(parse_keys("<TAB>"))
    with pytest.raises(ScannerSettingError, match="a suffix is needed"):
        check_suffix(parse_keys(""))
    with pytest.raises(ScannerSettingError, match="at most 4"):
        check_suffix(parse_keys("<ETX><ETX><ETX><ETX><CR>"))


def test_the_page_gets_the_keys_as_json() -> None:
    keys = ScannerKeys.of("<STX>", "<CR>", aim_ids=True)
    assert json.loads(keys.prefix_json) == ["Control+b"]
    assert json.loads(keys.suffix_json) == ["Enter"]
    assert keys.aim_ids


def test_shipped_settings_expect_no_prefix_and_enter() -> None:
    scanner = load_settings(env={}).scanner
    assert ScannerKeys.of(scanner.prefix, scanner.suffix, scanner.aim_ids) == ScannerKeys((), ("Enter",), False)


def test_settings_come_from_the_environment_too() -> None:
    scanner = load_settings(env={"KIOSK_SCANNER_PREFIX": "<STX>", "KIOSK_SCANNER_SUFFIX": "<TAB>",
                                 "KIOSK_SCANNER_AIM_IDS": "true"}).scanner
    assert (scanner.prefix, scanner.suffix, scanner.aim_ids) == ("<STX>", "<TAB>", True)


@pytest.mark.parametrize(("env", "says"), [
    ({"KIOSK_SCANNER_PREFIX": "A"}, "Setting scanner.prefix (KIOSK_SCANNER_PREFIX) is 'A', but a prefix must begin"),
    ({"KIOSK_SCANNER_SUFFIX": ""}, "Setting scanner.suffix (KIOSK_SCANNER_SUFFIX) is '', but a suffix is needed"),
    ({"KIOSK_SCANNER_PREFIX": "<BOGUS>"}, "Setting scanner.prefix (KIOSK_SCANNER_PREFIX) is '<BOGUS>'"),
    ({"KIOSK_SCANNER_AIM_IDS": "sometimes"}, "Setting scanner.aim_ids"),
])
def test_a_wrong_scanner_setting_stops_start_up_with_one_sentence(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env=env)
    assert str(err.value).startswith(says)
    assert str(err.value).endswith(".") and "\n" not in str(err.value)


def _body_attribute(page: str, name: str) -> str | None:
    body = re.search(r"<body[^>]*>", page)
    assert body
    found = re.search(rf'\s{name}(?:="([^"]*)")?[\s>]', body.group(0))
    return None if found is None else html.unescape(found.group(1) or "")


def test_every_page_tells_scanner_js_how_the_scanners_are_programmed(tmp_path: Path) -> None:
    env = {"KIOSK_WEB_SECRET_KEY": "x" * 32, "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path / 'kiosk.db'}",
           "KIOSK_SCANNER_PREFIX": "<STX>", "KIOSK_SCANNER_SUFFIX": "<TAB>", "KIOSK_SCANNER_AIM_IDS": "true"}
    page = create_app(load_settings(env=env), testing=True).test_client().get("/sign-in").get_data(as_text=True)
    assert json.loads(_body_attribute(page, "data-scan-prefix") or "") == ["Control+b"]
    assert json.loads(_body_attribute(page, "data-scan-suffix") or "") == ["Tab"]
    assert _body_attribute(page, "data-scan-aim") == ""
    assert page.index("js/scanner.js") < page.index("js/kiosk.js")  # its keydown listener runs first

    plain = create_app(load_settings(env={**env, "KIOSK_SCANNER_PREFIX": "", "KIOSK_SCANNER_AIM_IDS": "false"}),
                       testing=True).test_client().get("/sign-in").get_data(as_text=True)
    assert json.loads(_body_attribute(plain, "data-scan-prefix") or "") == []
    assert _body_attribute(plain, "data-scan-aim") is None
