from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    ms: float


def _timed(fn) -> Check:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except FhirError as e:
        ok, detail = False, e.message
    except Exception as e:  # the database driver's errors vary by backend
        ok, detail = False, f"{type(e).__name__}"
    return Check(ok, detail, round((time.perf_counter() - started) * 1000, 1))


def health(gw: FhirGateway, db: Database, version: str) -> tuple[bool, dict[str, object]]:
    def fhir() -> str:
        caps = gw.capabilities_cache.refresh()
        return f"{caps.software} (FHIR {caps.fhir_version})"

    def database() -> str:
        if not db.is_current():
            raise RuntimeError("schema is not at the newest migration")
        return "schema current"

    checks = {"fhir": _timed(fhir), "database": _timed(database)}
    ok = all(c.ok for c in checks.values())
    return ok, {"status": "ok" if ok else "degraded", "version": version,
                "checks": {k: asdict(v) for k, v in checks.items()}}
