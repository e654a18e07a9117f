"""The printer settings of this kiosk (config/printers.toml, or KIOSK_PRINTERS_CONFIG), a `SettingsFile`
like every workflow's, checked when the app starts; a wrong setting is named with its file and line.

Unlike other settings files it is read again when it changes: a printer is swapped or renamed during a
shift while the kiosk keeps running, and the next print takes the new settings."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from kiosk.config import ConfigError, Settings
from kiosk.settings_files import SettingsFile
from kiosk.tomlfile import TomlFile, read_toml
from printers import PrintersConfig
from printers.config import parse_printers_config
from printers.errors import PrinterConfigError


def _parse(file: TomlFile, settings: Settings, env: Mapping[str, str]) -> PrintersConfig:
    return parse_printers_config(file.data, str(file.path), settings.root, file.line_of)


PRINTERS = SettingsFile("printers", parse=_parse)

_lock = threading.Lock()
_cache: dict[Path, tuple[float, PrintersConfig]] = {}


def printers_config_path(settings: Settings) -> Path:
    return PRINTERS.path(settings, {**os.environ, **settings.env})


def printers_config(settings: Settings, path: Path | None = None) -> PrintersConfig:
    """The printer settings, read again only when the file's modification time changes."""
    path = path or printers_config_path(settings)
    mtime = path.stat().st_mtime if path.exists() else -1.0
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        file = read_toml(path)
    except ConfigError as e:
        raise PrinterConfigError(f"Printer settings: {e} (set KIOSK_PRINTERS_CONFIG to its path)") from None
    config = _parse(file, settings, os.environ)
    with _lock:
        _cache[path] = (mtime, config)
    return config


def check_at_start(app: Flask) -> None:
    """Stop the kiosk at start-up on a wrong printers.toml, in one sentence with the file and line."""
    from kiosk.extensions import services

    with app.app_context():
        try:
            printers_config(services().settings)
        except PrinterConfigError as e:
            raise ConfigError(str(e)) from None
