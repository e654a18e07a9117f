"""The printer settings of this kiosk (config/printers.toml, or KIOSK_PRINTERS_CONFIG), loaded once per
process and again when the file changes; a wrong setting is named with its file and line."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from kiosk.config import ConfigError, Settings
from kiosk.tomlfile import read_toml
from printers import PrintersConfig, load_printers_config
from printers.config import LineOf

_lock = threading.Lock()
_cache: dict[Path, tuple[float, PrintersConfig]] = {}


def printers_config_path(settings: Settings) -> Path:
    configured = os.environ.get("KIOSK_PRINTERS_CONFIG")
    path = Path(configured) if configured else settings.root / "config" / "printers.toml"
    return path if path.is_absolute() else settings.root / path


def _lines(path: Path) -> LineOf | None:
    """Where each setting of the file is, so that an error names its line (kiosk.tomlfile); None when the file
    cannot be read (then load_printers_config says why)."""
    try:
        return read_toml(path).line_of
    except ConfigError:
        return None


def printers_config(settings: Settings, path: Path | None = None) -> PrintersConfig:
    path = path or printers_config_path(settings)
    mtime = path.stat().st_mtime if path.exists() else -1.0
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    config = load_printers_config(path, settings.root, line_of=_lines(path))
    with _lock:
        _cache[path] = (mtime, config)
    return config
