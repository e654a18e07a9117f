"""/healthz: can the kiosk work? Answered for monitors without a sign-in, so it says only ok or not,
in fixed words (no server names, no error text), and probes the FHIR server at most every few seconds
whatever the number of callers. It never replaces the capabilities the workflows use."""

from __future__ import annotations

import threading
import time
import weakref
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
    """The last FHIR probe's result. A stale one starts a new probe in a thread of its own, and the
    request answers at once with what is known: /healthz never waits behind a slow FHIR server (it
    waits, briefly, only for the very first probe of the process)."""

    FIRST_WAIT_SECONDS = 2.0

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._at = 0.0
        self._result: Check | None = None
        self._running = False

    def get(self, probe) -> Check:  # type: ignore[no-untyped-def]
        with self._changed:
            stale = self._result is None or time.monotonic() - self._at > PROBE_SECONDS
            if stale and not self._running:
                self._running = True
                threading.Thread(target=self._run, args=(probe,), name="healthz-fhir-probe", daemon=True).start()
            if self._result is None:
                self._changed.wait_for(lambda: self._result is not None, timeout=self.FIRST_WAIT_SECONDS)
            return self._result or Check(False, "not checked yet", 0.0)

    def _run(self, probe) -> None:  # type: ignore[no-untyped-def]
        try:
            result = probe()
        finally:
            with self._changed:
                self._running = False
        with self._changed:
            self._result, self._at = result, time.monotonic()
            self._changed.notify_all()


#: One probe cache per FHIR gateway: a process that serves several apps (tests, a hospital of units)
#: never reports one server's state for another.
_fhir_probes: weakref.WeakKeyDictionary[FhirGateway, _ProbeCache] = weakref.WeakKeyDictionary()
_probes_lock = threading.Lock()


def _probe_cache(gw: FhirGateway) -> _ProbeCache:
    with _probes_lock:
        cache = _fhir_probes.get(gw)
        if cache is None:
            cache = _fhir_probes[gw] = _ProbeCache()
        return cache


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
    fhir = _probe_cache(gw).get(lambda: _timed(gw.probe, "reachable", "not reachable"))
    database = _timed(db.is_current, "schema current", "not reachable or schema behind")
    checks = {"fhir": fhir, "database": database}
    ok = all(c.ok for c in checks.values())
    return ok, {"status": "ok" if ok else "degraded", "version": version,
                "checks": {k: asdict(v) for k, v in checks.items()}}
