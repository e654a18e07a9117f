"""`kiosk serve`: the real gunicorn with the production worker settings."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from kiosk.config import Settings
from tests.support.served import kiosk_env, serve


def settings_env(demo_settings: Settings, db: Path) -> dict[str, str]:
    return {"KIOSK_FHIR_BASE_URL": demo_settings.fhir.base_url, "KIOSK_DATABASE_URL": f"sqlite:///{db}",
            "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production"}


def answers(url: str) -> bool:
    return httpx.get(url + "/sign-in", timeout=10).status_code == 200


def control_socket_answers(path: Path, within: float = 0) -> bool:
    """Whether a gunicorn control socket accepts a connection at `path` (gunicorn opens it just after its
    workers start: wait up to `within` seconds for it)."""
    deadline = time.monotonic() + within
    while True:
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(str(path))
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    return False
        time.sleep(0.1)


def test_two_kiosks_under_one_user_do_not_share_a_control_socket(demo_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shared = home / ".gunicorn" / "gunicorn.ctl"
    base = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
    first = serve(kiosk_env(settings_env(demo_settings, tmp_path / "a.db"), **base), tmp_path, "first")
    second = serve(kiosk_env(settings_env(demo_settings, tmp_path / "b.db"), **base), tmp_path, "second")
    try:
        assert answers(first.url) and answers(second.url)
        assert not shared.exists()  # by default: no control socket at all
    finally:
        first.stop()
        second.stop()
    own = {name: tmp_path / f"{name}.ctl" for name in ("one", "two")}
    runs = {name: serve(kiosk_env(settings_env(demo_settings, tmp_path / f"{name}.db"), **base,
                                  KIOSK_WEB_CONTROL_SOCKET=str(path)), tmp_path, name)
            for name, path in own.items()}
    try:
        assert all(control_socket_answers(path, within=30) for path in own.values())
        runs["one"].stop()
        assert not own["one"].exists() and control_socket_answers(own["two"])  # the other keeps its own
        assert answers(runs["two"].url) and not shared.exists()
    finally:
        for run in runs.values():
            run.stop()
