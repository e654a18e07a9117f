"""What every `kiosk` command shares: the settings, loaded once per command (on first use, so that
`--help` works with broken settings). Feature CLI modules import this, never kiosk.cli (which imports
them to add their commands)."""

from __future__ import annotations

import click

from kiosk.config import Settings, load_settings


class KioskContext:
    """Settings loaded once per command, on first use, so `--help` works with broken settings."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


pass_kiosk = click.make_pass_decorator(KioskContext, ensure=True)
