"""Benchmarks of the whiteboard and room readiness (`.venv/bin/python scripts/bench_whiteboard.py`): the
station screen and its polls, the assignment screen, saving a whole shift (one transaction), a patient's
care team on the bed board's panel, the readiness list, and the bed board with its readiness marks, for
units of 32 and 200 beds; FHIR requests per render and the time spent waiting for the server.

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from kiosk import create_app  # noqa: E402
from kiosk.auth import Role  # noqa: E402
from kiosk.auth.services import ensure_demo_staff  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.extensions import database, services  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.settings_files import settings_of  # noqa: E402
from kiosk.whiteboard import WHITEBOARD_FILE, assign_shift  # noqa: E402
from scripts.bench_beds import measure  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402
from tests.support.whiteboard import AIDES, NURSES, add_people, split_among, steady_shifts  # noqa: E402

HTMX = {"HX-Request": "true"}
TOKEN = "bench-whiteboard-screen-0123456789"
SAVES = 7


def unit_app(base_url: str, tmp: Path, ref: UnitRef) -> tuple[Flask, FhirGateway]:
    settings = make_settings(base_url, tmp / f"kiosk-{ref.value}.db", KIOSK_UNIT_LOCATION=f"{ref.system}|{ref.value}",
                             KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN, **steady_shifts())
    app = create_app(settings)
    with app.app_context():
        database().upgrade()
        with database().session() as db:
            ensure_demo_staff(db, settings.identifiers.practitioner)
        return app, services().gateway()


def main() -> None:
    rows: list[tuple[int, str, str, float, float]] = []
    saves: list[tuple[int, int, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            seed = FhirGateway.from_settings(make_settings(server.base_url, tmp / "seed.db"))
            for n, beds in enumerate((32, 200), start=1):
                code = f"WB{beds}"
                builder = DemoBuilder(seed.identifiers, first_number=2_000_000 * n)
                if n == 1:
                    seed.client.transaction(builder.site_transaction())
                seed.client.transaction(builder.unit_transaction(unit_plan(code, f"Bench {beds}", beds, seed=n)))
                ref = UnitRef(system=seed.identifiers.location, value=code)
                app, gw = unit_app(server.base_url, tmp, ref)
                nurses, aides = add_people(gw, gw.unit_location_id(), code, NURSES * (1 + beds // 40),
                                           AIDES * (1 + beds // 60))
                with app.app_context():
                    settings = settings_of(WHITEBOARD_FILE)
                    assign_shift(gw, database(), settings, "previous",
                                 lambda s, n_=nurses, a=aides: split_among(s, n_, a, n_[0]))
                    started = time.perf_counter()
                    outcome, planned = assign_shift(gw, database(), settings, "current",
                                                    lambda s, n_=nurses, a=aides: split_among(s, n_, a, n_[1]))
                    first_save = (time.perf_counter() - started) * 1000
                    assert outcome.kind == "done", outcome.message
                saves.append((beds, planned.beds, "first save of the shift (creates)", first_save))
                client = sign_in_client(app.test_client(), Role.CHARGE_NURSE)
                display = app.test_client()
                display.get(f"/whiteboard/display/{TOKEN}")
                region = display.get("/whiteboard/display/board", headers=HTMX).get_data(as_text=True)
                fingerprint = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', region)
                assert fingerprint is not None
                encounter = re.search(r'name="enc-[^"]+" value="([^"]+)"', client.get("/whiteboard/assign")
                                      .get_data(as_text=True))
                assert encounter is not None
                for who, what, path, headers in (
                    (client, "whiteboard page (signed in)", "/whiteboard/", None),
                    (display, "station screen", "/whiteboard/display", None),
                    (display, "station poll, nothing changed (204)", "/whiteboard/display/board",
                     {**HTMX, "X-Board-Fingerprint": fingerprint.group(1)}),
                    (display, "station poll, changed (200)", "/whiteboard/display/board", HTMX),
                    (client, "assignment screen", "/whiteboard/assign", None),
                    (client, "care team on the bed board's panel", f"/whiteboard/care-team/{encounter.group(1)}",
                     HTMX),
                    (client, "readiness list", "/readiness/", None),
                    (client, "bed board poll with readiness marks", "/beds/board", HTMX),
                ):
                    requests, total, waiting = measure(who, gw, path, headers)
                    rows.append((beds, what, requests, total, waiting))
                # Saving from the screen: every bed's nurse changes (one transaction of updates), then back.
                samples: list[float] = []
                requests = ""
                for i in range(SAVES):
                    html = client.get("/whiteboard/assign").get_data(as_text=True)
                    start_at = html.index('<form class="assign-form"')
                    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                           html[start_at:html.index("</form>", start_at)]))
                    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
                    for key in [k for k in form if k.startswith("nurse-")]:
                        form[key] = nurses[i % 2].ref
                    started = time.perf_counter()
                    response = client.post("/whiteboard/assign", data=form, headers=HTMX)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                    requests = response.headers["X-FHIR-Requests"]
                saves.append((beds, len([k for k in form if k.startswith("nurse-")]),
                              f"save from the screen, every nurse changed ({requests} requests)",
                              statistics.median(samples)))
            seed.close()
        finally:
            server.stop()

    print("| beds | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for beds, what, requests, total, waiting in rows:
        print(f"| {beds} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")
    print()
    print("| beds | care teams written | what | ms (median of 7 for the screen) |")
    print("| --- | --- | --- | --- |")
    for beds, teams, what, ms in saves:
        print(f"| {beds} | {teams} | {what} | {ms:.1f} |")


if __name__ == "__main__":
    main()
