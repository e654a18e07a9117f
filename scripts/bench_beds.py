"""Benchmarks of the bed board (`.venv/bin/python scripts/bench_beds.py`): the board page, the polled
fragment when nothing changed (204) and when it did, a bed's panel, and one action, for units of 32
and 200 beds; FHIR requests per render and the time spent waiting for the server.

Starts its own sekmet-fhir on a free port (in-memory store) and prints Markdown tables for
docs/benchmarks.md. Figures vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from kiosk import create_app  # noqa: E402
from kiosk.auth.services import ensure_demo_staff  # noqa: E402
from kiosk.beds.board import BoardBuilder  # noqa: E402
from kiosk.beds.occupancy import BedState  # noqa: E402
from kiosk.beds.services import load_board  # noqa: E402
from kiosk.beds.settings import BedSettings  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.extensions import database, services  # noqa: E402
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from scripts.bench import RUNS, http_share, timed  # noqa: E402  (the census benchmark's timers)
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

HTMX = {"HX-Request": "true"}


def unit_app(base_url: str, tmp: Path, ref: UnitRef) -> tuple[Flask, FhirGateway]:
    settings = make_settings(base_url, tmp / f"kiosk-{ref.value}.db", KIOSK_UNIT_LOCATION=f"{ref.system}|{ref.value}")
    app = create_app(settings)
    with app.app_context():
        database().upgrade()
        with database().session() as db:
            ensure_demo_staff(db, settings.identifiers.practitioner)
        return app, services().gateway()


def measure(client: FlaskClient, gw: FhirGateway, path: str, headers: dict[str, str] | None = None
            ) -> tuple[str, float, float]:
    def get() -> Any:
        return client.get(path, headers=headers or {})

    get()  # the first panel also reads the server's CapabilityStatement, once per process
    requests = get().headers["X-FHIR-Requests"]
    return requests, timed(get), http_share(gw, get)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            settings = make_settings(server.base_url, tmp / "seed.db")
            seed = FhirGateway.from_settings(settings)
            rows: list[tuple[int, str, str, float, float]] = []
            action_rows: list[tuple[int, str, float]] = []
            build_rows: list[tuple[int, float, float]] = []
            for n, beds in enumerate((32, 200), start=1):
                code = f"BB{beds}"
                builder = DemoBuilder(seed.identifiers, first_number=1_000_000 * n)
                if n == 1:
                    seed.client.transaction(builder.site_transaction())
                seed.client.transaction(builder.unit_transaction(unit_plan(code, f"Bench {beds}", beds, seed=n)))
                ref = UnitRef(system=seed.identifiers.location, value=code)
                app, gw = unit_app(server.base_url, tmp, ref)
                client = sign_in_client(app.test_client())
                client.get("/beds/")
                html = client.get("/beds/board", headers=HTMX).get_data(as_text=True)
                fingerprint = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', html)
                assert fingerprint is not None
                with app.app_context():
                    board = load_board(gw, BedSettings())
                    census = unit_census(gw)
                    build_ms = timed(lambda census=census: BoardBuilder(census, BedSettings(),
                                                                           census.fetched_at).build())
                    build_rows.append((beds, build_ms, timed(lambda gw=gw: unit_census(gw))))
                occupied = next(t for t in board.tiles.values() if t.state is BedState.OCCUPIED)
                free = next(t for t in board.tiles.values() if t.state is BedState.AVAILABLE and not t.reserved_for)
                for what, path, headers in (
                    ("board page", "/beds/", None),
                    ("poll, nothing changed (204)", "/beds/board", {**HTMX, "X-Board-Fingerprint":
                                                                    fingerprint.group(1)}),
                    ("poll, changed (200)", "/beds/board", HTMX),
                    ("bed panel", f"/beds/bed/{occupied.id}", HTMX),
                    ("transfer form (beds elsewhere)", f"/beds/bed/{occupied.id}?open=transfer", HTMX),
                ):
                    requests, total, waiting = measure(client, gw, path, headers)
                    rows.append((beds, what, requests, total, waiting))

                token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/beds/").get_data(as_text=True))
                assert token is not None
                headers = {**HTMX, "X-CSRFToken": token.group(1)}
                samples: list[float] = []
                requests = ""
                for i in range(RUNS):
                    action = "block" if i % 2 == 0 else "unblock"
                    # The action carries the versions its open form showed (its If-Match), as in the browser.
                    panel = client.get(f"/beds/bed/{free.id}?open={action}", headers=HTMX).get_data(as_text=True)
                    seen = re.search(r'name="seen" value="([^"]*)"', panel)
                    assert seen is not None
                    data = {"panel": f"bed:{free.id}", "bed": free.id, "reason": "Benchmark", "ready": "yes",
                            "seen": seen.group(1)}
                    started = time.perf_counter()
                    response = client.post(f"/beds/act/{action}", headers=headers, data=data)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                    requests = response.headers["X-FHIR-Requests"]
                action_rows.append((beds, requests, statistics.median(samples)))
            seed.close()
        finally:
            server.stop()

    print("| beds | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for beds, what, requests, total, waiting in rows:
        print(f"| {beds} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")
    print()
    print("| beds | block or unblock a bed (POST, panel redrawn) | FHIR requests | median ms |")
    print("| --- | --- | --- | --- |")
    for beds, requests, total in action_rows:
        print(f"| {beds} | block / unblock | {requests} | {total:.1f} |")
    print()
    print("| beds | building the board's view objects from a census, median ms | the census itself, median ms |")
    print("| --- | --- | --- |")
    for beds, build, census_ms in build_rows:
        print(f"| {beds} | {build:.2f} | {census_ms:.1f} |")


if __name__ == "__main__":
    main()
