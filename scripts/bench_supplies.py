"""Benchmark of the supply check and the supplies page (`.venv/bin/python scripts/bench_supplies.py`).

Starts its own sekmet-fhir on a free port (in-memory store), builds a unit, and counts all 54 items of
the shipped par list at zero, so every check has 54 reorders to send. Each measured check runs on a
day of its own (a new set of reorder identifiers), so it really writes; the rerun of the same day
finds them all. Prints a Markdown table for docs/benchmarks.md (medians of RUNS runs).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk import create_app  # noqa: E402
from kiosk.auth import Role  # noqa: E402
from kiosk.auth.services import ensure_demo_staff  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.demo.loader import load_demo  # noqa: E402
from kiosk.extensions import database, gateway  # noqa: E402
from kiosk.fhir.client import count_requests  # noqa: E402
from kiosk.fhir.gateway import FhirGateway  # noqa: E402
from kiosk.supplies.check import run_check  # noqa: E402
from kiosk.supplies.counts import Counter, record_counts  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

RUNS = 15


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sekmet(Path(tmp) / "sekmet")
        try:
            base = make_settings(server.base_url, Path(tmp) / "seed.db")
            gw = FhirGateway.from_settings(base)
            load_demo(gw, say=lambda _line: None)
            gw.client.transaction(DemoBuilder(gw.identifiers, first_number=900_000)
                                  .unit_transaction(unit_plan("BSUP", "Bench Supplies", 2, seed=9)))
            gw.close()
            app = create_app(make_settings(server.base_url, Path(tmp) / "kiosk.db",
                                           KIOSK_UNIT_LOCATION=f"{base.identifiers.location}|BSUP"))
            with app.app_context():
                database().upgrade()
                with database().session() as db:
                    ensure_demo_staff(db, base.identifiers.practitioner)
                config = app.extensions["supplies"]
                start = datetime.now(UTC) - timedelta(days=RUNS + 2)
                for location in config.par.locations:
                    record_counts(database(), location, {i.code: 0 for i in location.items},
                                  Counter("BENCH", None, None), start)
                settings = config.settings
                fresh = settings.__class__(**{**settings.__dict__, "stale_after": timedelta(days=RUNS + 5)})
                config = config.__class__(settings=fresh, par=config.par, unit_code=config.unit_code)

                first, again, first_requests, again_requests = [], [], set(), set()
                for n in range(RUNS + 1):
                    day = start + timedelta(days=n, hours=1)
                    with count_requests() as sent:
                        clock = time.perf_counter()
                        report = run_check(config, database=database(), gateway=gateway(), station="BENCH", now=day)
                        took = (time.perf_counter() - clock) * 1000
                    assert sum(1 for s in report.sent if s.result == "created") == 54, report.summary
                    with count_requests() as reran:
                        clock = time.perf_counter()
                        rerun = run_check(config, database=database(), gateway=gateway(), station="BENCH", now=day)
                        took_again = (time.perf_counter() - clock) * 1000
                    assert all(s.result == "existing" for s in rerun.sent)
                    if n:  # the first run reads the CapabilityStatement and resolves the unit: warm-up
                        first.append(took)
                        again.append(took_again)
                        first_requests.add(sent.total)
                        again_requests.add(reran.total)

            client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
            page, page_requests = [], set()
            client.get("/supplies/")
            for _ in range(RUNS):
                clock = time.perf_counter()
                response = client.get("/supplies/")
                page.append((time.perf_counter() - clock) * 1000)
                page_requests.add(response.headers["X-FHIR-Requests"])
            shown = response.get_data(as_text=True).count("data-supply-request=")
            count_page = []
            for _ in range(RUNS):
                clock = time.perf_counter()
                response = client.get("/supplies/count/SUPPLY")
                count_page.append((time.perf_counter() - clock) * 1000)
            count_requests_header = response.headers["X-FHIR-Requests"]
        finally:
            server.stop()

    print("| what | FHIR requests | median ms |")
    print("| --- | --- | --- |")
    print(f"| check sending 54 reorders (one transaction) | {'/'.join(map(str, sorted(first_requests)))} "
          f"| {median_ms(first)} |")
    print(f"| rerun the same day (all 54 found, nothing written) | {'/'.join(map(str, sorted(again_requests)))} "
          f"| {median_ms(again)} |")
    print(f"| supplies page with {(RUNS + 1) * 54} reorders on record, {shown} of them open and recent "
          f"| {'/'.join(sorted(page_requests))} | {median_ms(page)} |")
    print(f"| count screen, supply room (33 items) | {count_requests_header} | {median_ms(count_page)} |")


if __name__ == "__main__":
    main()
