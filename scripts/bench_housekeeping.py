"""Benchmarks of housekeeping (`.venv/bin/python scripts/bench_housekeeping.py`): the phone list, the
desk's list, its poll, the home panel and the figures on units of 32 and 200 beds (with 300 finished
cleaning jobs for the figures), and one action (start); FHIR requests per render and the time spent
waiting for the server.

Starts its own sekmet-fhir on a free port and prints Markdown tables for docs/benchmarks.md. Figures
vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.auth import Role  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.fhir import builders as b  # noqa: E402
from kiosk.fhir import codes  # noqa: E402
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.client import Transaction  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from scripts.bench import RUNS  # noqa: E402
from scripts.bench_beds import measure, unit_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

HTMX = {"HX-Request": "true"}
FINISHED = 300


def add_finished_jobs(gw: FhirGateway, ref: UnitRef, count: int) -> None:
    """`count` completed cleaning jobs on the unit's beds over the last six days, both kinds of clean."""
    census = unit_census(gw, ref)
    system = codes.local_system(gw.identifiers.code_systems, codes.TASK_KIND_CONCEPT)
    now = datetime.now(UTC).replace(microsecond=0)
    tx = Transaction()
    for n in range(count):
        created = now - timedelta(minutes=30 + n * 25)
        task = b.cleaning_task(bed=census.beds[n % len(census.beds)].reference, task_kind_system=system,
                               authored=created, status="completed",
                               clean_type=codes.CLEAN_TERMINAL if n % 5 == 0 else codes.CLEAN_ROUTINE)
        task["executionPeriod"] = {"start": b.fhir_instant(created + timedelta(minutes=5 + n % 30)),
                                   "end": b.fhir_instant(created + timedelta(minutes=35 + n % 50))}
        tx.create(task)
    gw.client.transaction(tx)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        rows: list[tuple[int, str, str, float, float]] = []
        action_rows: list[tuple[int, str, float]] = []
        try:
            settings = make_settings(server.base_url, tmp / "seed.db")
            seed = FhirGateway.from_settings(settings)
            for n, beds in enumerate((32, 200), start=1):
                code = f"HK{beds}"
                builder = DemoBuilder(seed.identifiers, first_number=4_000_000 * n)
                if n == 1:
                    seed.client.transaction(builder.site_transaction())
                seed.client.transaction(builder.unit_transaction(unit_plan(code, f"Bench {beds}", beds, seed=n)))
                ref = UnitRef(system=seed.identifiers.location, value=code)
                add_finished_jobs(seed, ref, FINISHED)
                app, gw = unit_app(server.base_url, tmp, ref)
                desk = sign_in_client(app.test_client(), Role.CHARGE_NURSE)
                cleaner = sign_in_client(app.test_client(), Role.HOUSEKEEPER)
                for what, client, path, headers in (
                    ("phone list page", cleaner, "/housekeeping/jobs", None),
                    ("desk list page", desk, "/housekeeping/", None),
                    ("list poll", cleaner, "/housekeeping/list?screen=phone", HTMX),
                    ("home panel", desk, "/housekeeping/home", HTMX),
                    (f"figures ({FINISHED} finished jobs)", desk, "/housekeeping/figures", None),
                    ("bed board with the cleaning marks", desk, "/beds/", None),
                ):
                    requests, total, waiting = measure(client, gw, path, headers)
                    rows.append((beds, what, requests, total, waiting))
                # One action: start a waiting job, as the phone sends it (each run a different bed: the
                # list after each start offers the next one).
                samples: list[float] = []
                requests = ""
                html = cleaner.get("/housekeeping/jobs").get_data(as_text=True)
                for _ in range(RUNS):
                    form = re.search(r'action="/housekeeping/beds/([^/]+)/start".*?name="csrf_token" value="([^"]+)"'
                                     r'.*?name="seen" value="([^"]*)".*?name="token" value="([^"]+)"', html, re.S)
                    if form is None:
                        break
                    bed, token, seen, key = form.groups()
                    data = {"csrf_token": token, "seen": seen, "token": key, "screen": "phone"}
                    started = time.perf_counter()
                    response = cleaner.post(f"/housekeeping/beds/{bed}/start", data=data, headers=HTMX)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                    requests = response.headers["X-FHIR-Requests"]
                    html = response.get_data(as_text=True)
                if samples:
                    action_rows.append((beds, requests, statistics.median(samples)))
            seed.close()
        finally:
            server.stop()
    print("| beds | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for beds, what, requests, total, waiting in rows:
        print(f"| {beds} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")
    print()
    print("| beds | start a job (POST, list redrawn) | FHIR requests | median ms |")
    print("| --- | --- | --- | --- |")
    for beds, requests, median in action_rows:
        print(f"| {beds} | start | {requests} | {median:.1f} |")


if __name__ == "__main__":
    main()
