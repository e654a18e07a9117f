"""config/printers.toml is a settings file like every workflow's: a wrong one stops the kiosk at start-up,
in one sentence naming the file and the line, and KIOSK_PRINTERS_CONFIG names another file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.config import ConfigError, load_settings
from kiosk.labels.printing import printers_config

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path, printers: Path) -> dict[str, str]:
    return {"KIOSK_WEB_SECRET_KEY": "x" * 32, "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path / 'kiosk.db'}",
            "KIOSK_PRINTERS_CONFIG": str(printers)}


def test_a_wrong_printers_file_stops_start_up_naming_its_line(tmp_path: Path) -> None:
    text = (ROOT / "config" / "printers.toml").read_text()
    header = "[media.specimen]\n"
    line = text[:text.index(header)].count("\n") + 2
    path = tmp_path / "printers.toml"
    path.write_text(text.replace(header, f'{header}bar_height_mm = "tall"\n'))
    with pytest.raises(ConfigError) as error:
        create_app(load_settings(env=_env(tmp_path, path)), testing=True)
    assert str(error.value).startswith(f"Setting media.specimen.bar_height_mm in {path} line {line} ")


def test_a_missing_printers_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"printers\.toml does not exist"):
        create_app(load_settings(env=_env(tmp_path, tmp_path / "printers.toml")), testing=True)


def test_the_file_named_by_the_environment_is_the_one_read_and_a_change_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "printers.toml"
    path.write_text((ROOT / "config" / "printers.toml").read_text())
    settings = load_settings(env=_env(tmp_path, path))
    first = printers_config(settings)
    assert printers_config(settings) is first
    path.write_text(path.read_text() + "\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert printers_config(settings) is not first
