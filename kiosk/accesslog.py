"""Gunicorn's access log, with secrets taken out of paths (the set-up addresses of the corridor screen
and the unit whiteboard)."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

_DISPLAY_TOKEN = re.compile(r"(/(?:beds|whiteboard)/display/)(?!board\b)[^/?\s]+")


def redact(path: str) -> str:
    return _DISPLAY_TOKEN.sub(r"\1…", path)


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
