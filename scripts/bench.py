"""Benchmarks of the census read path (`make bench`): FHIR requests, fetch time, parse time, page render.

Starts its own sekmet-fhir on a free port (in-memory store), builds units of 32 and 200 beds, and
prints a Markdown table for docs/benchmarks.md. Figures vary with the machine: compare runs on the
same machine, not across machines.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fhir.resources.R4B import get_fhir_model_class  # noqa: E402

from kiosk import create_app  # noqa: E402
from kiosk.auth.services import ensure_demo_staff  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.extensions import database  # noqa: E402
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.client import count_requests  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.fhir.records import read_encounter  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

RUNS = 15


def timed(fn, runs: int = RUNS) -> float:  # type: ignore[no-untyped-def]
    """Median milliseconds of `runs` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def http_share(gw: FhirGateway, fn) -> float:  # type: ignore[no-untyped-def]
    """Median milliseconds spent inside HTTP requests during `fn`."""
    spent: list[float] = []
    original = gw.client.http.request

    def request(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[-1] += (time.perf_counter() - started) * 1000

    gw.client.http.request = request  # type: ignore[method-assign]
    try:
        for _ in range(RUNS):
            spent.append(0.0)
            fn()
    finally:
        gw.client.http.request = original  # type: ignore[method-assign]
    return statistics.median(spent)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sekmet(Path(tmp) / "sekmet")
        try:
            settings = make_settings(server.base_url, Path(tmp) / "kiosk.db")
            gw = FhirGateway.from_settings(settings)
            app = create_app(make_settings(server.base_url, Path(tmp) / "kiosk.db",
                                           KIOSK_UNIT_LOCATION=f"{gw.identifiers.location}|B200"))
            with app.app_context():
                database().upgrade()
                with database().session() as db:
                    ensure_demo_staff(db, gw.identifiers.practitioner)
            rows = []
            for n, beds in enumerate((32, 200), start=1):
                code = f"B{beds}"
                builder = DemoBuilder(gw.identifiers, first_number=1_000_000 * n)
                if n == 1:
                    gw.client.transaction(builder.site_transaction())
                gw.client.transaction(builder.unit_transaction(unit_plan(code, f"Bench {beds}", beds, seed=n)))
                unit = UnitRef(system=gw.identifiers.location, value=code)
                gw.unit_location_id(unit)
                with count_requests() as counter:
                    census = unit_census(gw, unit)
                resources = len(census.beds) + len(census.rooms) + len(census.encounters) + len(census.patients)
                total = timed(lambda unit=unit: unit_census(gw, unit))
                http = http_share(gw, lambda unit=unit: unit_census(gw, unit))
                rows.append((beds, counter.total, resources, total, http))
            client = sign_in_client(app.test_client())
            render = timed(lambda: client.get("/home/summary"))
            render_requests = client.get("/home/summary").headers["X-FHIR-Requests"]
            print("| beds | FHIR requests | resources read | census, median ms | of which waiting for the server |")
            print("| --- | --- | --- | --- | --- |")
            for beds, requests, resources, total, http in rows:
                print(f"| {beds} | {requests} | {resources} | {total:.1f} | {http:.1f} |")

            census = unit_census(gw, UnitRef(system=gw.identifiers.location, value="B200"))
            raw_encounters = gw.client.search("Encounter", [("_id", ",".join(e.id for e in census.encounters[:50]))])
            sample = raw_encounters.matches
            encounter_model = get_fhir_model_class("Encounter")
            light = timed(lambda: [read_encounter(r, gw.identifiers.encounter) for r in sample]) / len(sample)
            full = timed(lambda: [encounter_model.model_validate(r) for r in sample]) / len(sample)
            print()
            print("| reading one Encounter | ms |")
            print("| --- | --- |")
            print(f"| kiosk record reader (kiosk/fhir/records.py) | {light:.3f} |")
            print(f"| full R4B model_validate | {full:.3f} |")
            print()
            print(f"Home counts fragment for the 200-bed unit: {render:.1f} ms median, "
                  f"{render_requests} FHIR requests.")
            gw.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
