"""Benchmarks of bed placement (`.venv/bin/python scripts/bench_placement.py`): the charge nurse's list,
a request's assign page (the beds that fit), the sending side's page and the home panel, with 3, 30 and
100 open bed requests on a 32-bed unit; FHIR requests per render and the time spent waiting for the
server.

Starts its own sekmet-fhir on a free port and prints a Markdown table for docs/benchmarks.md. Figures
vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.auth import Role  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.placement import Admission, admission_transaction  # noqa: E402
from scripts.bench_beds import measure, unit_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402


def add_requests(gw: FhirGateway, unit: str, count: int) -> str:
    """`count` new bed requests for the unit; returns the last one's Task id."""
    last = ""
    for _ in range(count):
        token = secrets.randbelow(10**7)
        adm = Admission(number="PL-" + secrets.token_hex(4).upper(), mrn=f"6{token:07d}",
                        encounter_number=f"9{token:08d}", family="Bench", given=("Ada",), gender="female",
                        birth_date="1950-01-01", origin="ed", needs=("telemetry",), requester="ED")
        results = gw.client.transaction(admission_transaction(adm, unit, gw.identifiers, datetime.now(UTC)))
        last = str(results[-1].reference).split("/", 1)[1]
    return last


def main() -> None:
    rows: list[tuple[int, str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            settings = make_settings(server.base_url, tmp / "seed.db")
            seed = FhirGateway.from_settings(settings)
            builder = DemoBuilder(seed.identifiers, first_number=5_000_000)
            seed.client.transaction(builder.site_transaction())
            seed.client.transaction(builder.unit_transaction(unit_plan("PL32", "Bench 32", 32, seed=1)))
            ref = UnitRef(system=seed.identifiers.location, value="PL32")
            unit = f"Location/{seed.unit_location_id(ref)}"
            app, gw = unit_app(server.base_url, tmp, ref)
            desk = sign_in_client(app.test_client(), Role.CHARGE_NURSE)
            have = 0
            for wanted in (3, 30, 100):
                task_id = add_requests(seed, unit, wanted - have)
                have = wanted
                for what, path in (("list", "/placement/"),
                                   ("assign page (beds that fit)", f"/placement/{task_id}/assign"),
                                   ("sending side's page", f"/placement/{task_id}"),
                                   ("home panel", "/placement/home")):
                    requests, total, waiting = measure(desk, gw, path)
                    rows.append((wanted, what, requests, total, waiting))
            seed.close()
        finally:
            server.stop()
    print("| open requests | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for count, what, requests, total, waiting in rows:
        print(f"| {count} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")


if __name__ == "__main__":
    main()
