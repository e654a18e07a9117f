"""Logging for every kiosk process (web workers, the scheduler, commands)."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Log lines carry no patient data: the HTTP libraries, which log full URLs, stay at WARNING."""
    root = logging.getLogger()
    if not any(getattr(h, "_kiosk", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._kiosk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "urllib3", "fhir_core", "fhir.resources", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
