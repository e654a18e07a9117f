"""/healthz: can the kiosk work? Answered for monitors without a sign-in, so it says only ok or not,
in fixed words (no server names, no error text), and probes the FHIR server at most every few seconds
whatever the number of callers. It never replaces the capabilities the workflows use."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from kiosk.db import Database
from kiosk.fhir.capability import PROBED, STATEMENT
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway

#: A FHIR probe result is reused for this many seconds.
PROBE_SECONDS = 10.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    ms: float


class _ProbeCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = 0.0
        self._result: Check | None = None

    def get(self, probe) -> Check:  # type: ignore[no-untyped-def]
        with self._lock:
            if self._result is None or time.monotonic() - self._at > PROBE_SECONDS:
                self._result = probe()
                self._at = time.monotonic()
            return self._result


_fhir_probe = _ProbeCache()


#: How the FHIR server's capabilities are known, in the health page's fixed words.
CAPABILITY_WORDS = {STATEMENT: "reachable", PROBED: "reachable, no CapabilityStatement (searches probed)"}


def _timed(fn, ok_text: str, fail_text: str) -> Check:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        answer = fn()
        ok = bool(answer)
    except FhirError:
        ok, answer = False, None
    except Exception:  # the database driver's errors vary by backend
        ok, answer = False, None
    text = CAPABILITY_WORDS.get(answer, ok_text) if ok and isinstance(answer, str) else ok_text
    return Check(ok, text if ok else fail_text, round((time.perf_counter() - started) * 1000, 1))


def health(gw: FhirGateway, db: Database, version: str) -> tuple[bool, dict[str, object]]:
    fhir = _fhir_probe.get(lambda: _timed(gw.probe, "reachable", "not reachable"))
    database = _timed(db.is_current, "schema current", "not reachable or schema behind")
    checks = {"fhir": fhir, "database": database}
    ok = all(c.ok for c in checks.values())
    return ok, {"status": "ok" if ok else "degraded", "version": version,
                "checks": {k: asdict(v) for k, v in checks.items()}}
