"""Owner-only files and folders for what holds patient data or secrets: the database (label bytes carry
names, MRNs and birth dates), its folder, the secret key. Created 0600 / 0700; an existing one with a
looser mode is tightened and logged (once: then it is tight) (its path only, which holds no patient data)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("kiosk.files")

FILE_MODE = 0o600
DIR_MODE = 0o700


def _tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it lets group or others in (only what this user owns)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid != os.geteuid() or not stat.S_IMODE(info.st_mode) & 0o077:
        return
    os.chmod(path, mode)  # so the warning below is given once: the next look finds it tightened
    log.warning("%s was readable by other users (mode %o); it is now owner-only (%o)", path,
                stat.S_IMODE(info.st_mode), mode)


def private_dir(path: Path) -> Path:
    """Make the folder (and missing parents) owner-only; tighten it if it exists. A shared folder such
    as /tmp (sticky bit) is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
        return path
    if not path.stat().st_mode & stat.S_ISVTX:
        _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty and owner-only if it does not exist; tighten it if it does."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def tighten(path: Path) -> None:
    """Tighten an existing file to owner-only (a file another program created, e.g. SQLite's -wal)."""
    _tighten(path, FILE_MODE)
