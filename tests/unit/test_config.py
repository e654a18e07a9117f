from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import DEFAULT_CONFIG, ConfigError, load_settings


def test_shipped_settings_load_and_resolve_the_database_under_the_project() -> None:
    s = load_settings(env={})
    assert s.fhir.base_url == "http://127.0.0.1:8090/fhir"
    assert s.fhir.connect_timeout == 3.0 and s.fhir.read_timeout == 10.0
    assert s.database_url == f"sqlite:///{DEFAULT_CONFIG.parent.parent / 'var' / 'kiosk.db'}"


def test_environment_overrides_every_level() -> None:
    s = load_settings(env={"KIOSK_FHIR_BASE_URL": "https://fhir.example.org/r4", "KIOSK_FHIR_READ_TIMEOUT": "4.5",
                           "KIOSK_FHIR_AUTH_TYPE": "bearer", "KIOSK_FHIR_AUTH_TOKEN": "t0k",
                           "KIOSK_WEB_SECURE_COOKIES": "true",
                           "KIOSK_DATABASE_URL": "postgresql+psycopg://kiosk@db/kiosk"})
    assert s.fhir.base_url == "https://fhir.example.org/r4"
    assert s.fhir.read_timeout == 4.5
    assert s.fhir.auth.type == "bearer" and s.fhir.auth.token == "t0k"
    assert s.web.secure_cookies is True
    assert s.database_url == "postgresql+psycopg://kiosk@db/kiosk"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"KIOSK_FHIR_BASE_URL": "ftp://x"}, "fhir.base_url"),
        ({"KIOSK_FHIR_READ_TIMEOUT": "-1"}, "fhir.read_timeout"),
        ({"KIOSK_FHIR_READ_TIMEOUT": "soon"}, "fhir.read_timeout"),
        ({"KIOSK_FHIR_AUTH_TYPE": "kerberos"}, "fhir.auth.type"),
        ({"KIOSK_FHIR_AUTH_TYPE": "basic"}, "fhir.auth.username"),
        ({"KIOSK_FHIR_AUTH_TYPE": "smart", "KIOSK_FHIR_AUTH_CLIENT_ID": "k",
          "KIOSK_FHIR_AUTH_PRIVATE_KEY_PATH": "/nonexistent.pem"}, "fhir.auth.private_key_path"),
        ({"KIOSK_UNIT_LOCATION": "4W"}, "unit.location"),
        ({"KIOSK_IDENTIFIERS_MRN": "mrn"}, "identifiers.mrn"),
        ({"KIOSK_WEB_PORT": "80000"}, "web.port"),
        ({"KIOSK_WEB_SECURE_COOKIES": "maybe"}, "web.secure_cookies"),
        ({"KIOSK_DATABASE_URL": "mysql://x"}, "database.url"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_one_sentence_naming_it(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env=env)
    message = str(err.value)
    assert names in message
    assert message.endswith(".") and "\n" not in message


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(DEFAULT_CONFIG.read_text() + "\n[fhir.extra]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"fhir\.extra"):
        load_settings(path, env={})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "none.toml", env={})
