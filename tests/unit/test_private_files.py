"""The database, its folder, the secret key and the label folder are owner-only, new or old."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from kiosk import _local_secret_key
from kiosk.db import Database
from printers.transports import FolderTransport


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> object:
    """The loosest usual umask, so that only the kiosk's own care makes files private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_its_wal_and_folder_are_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    database = Database(f"sqlite:///{var / 'kiosk.db'}")
    database.upgrade()
    with database.engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM audit_record")
        assert mode(var) == 0o700
        assert {p.name: mode(p) for p in var.iterdir()} == {"kiosk.db": 0o600, "kiosk.db-wal": 0o600,
                                                             "kiosk.db-shm": 0o600}
    database.dispose()


def test_an_existing_database_and_folder_are_tightened_and_logged_once(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    var = tmp_path / "var"
    Database(f"sqlite:///{var / 'kiosk.db'}").upgrade()
    for path, loose in ((var, 0o755), (var / "kiosk.db", 0o644), (var / "kiosk.db-wal", 0o644)):
        if path.exists():
            os.chmod(path, loose)
    with caplog.at_level(logging.WARNING, logger="kiosk.files"):
        Database(f"sqlite:///{var / 'kiosk.db'}").dispose()
        Database(f"sqlite:///{var / 'kiosk.db'}").dispose()
    assert mode(var) == 0o700 and mode(var / "kiosk.db") == 0o600
    warned = [r.getMessage() for r in caplog.records if r.name == "kiosk.files"]
    assert len(warned) == len({m.split(" was ")[0] for m in warned}) >= 2  # each path once
    assert all("owner-only" in m for m in warned)


def test_the_secret_key_is_owner_only_new_or_old(tmp_path: Path) -> None:
    var = tmp_path / "var"
    key = _local_secret_key(var)
    assert mode(var) == 0o700 and mode(var / "secret_key") == 0o600
    os.chmod(var / "secret_key", 0o644)
    os.chmod(var, 0o755)
    assert _local_secret_key(var) == key
    assert mode(var) == 0o700 and mode(var / "secret_key") == 0o600


def test_the_label_folder_and_its_labels_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "labels"
    FolderTransport(folder).send(b"^XA^XZ", title="t", content_type="application/vnd.zebra-zpl")
    [label] = list(folder.iterdir())
    assert mode(folder) == 0o700 and mode(label) == 0o600
    os.chmod(folder, 0o755)
    FolderTransport(folder).send(b"^XA^XZ", title="t", content_type="application/vnd.zebra-zpl")
    assert mode(folder) == 0o700
