"""Benchmarks of the hospital view (`.venv/bin/python scripts/bench_hospital.py`): the page and its poll
with 2 and with 10 wards of 32 beds on the site; FHIR requests per render and the time spent waiting for
the server.

Starts its own sekmet-fhir on a free port and prints a Markdown table for docs/benchmarks.md. Figures
vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.auth import Role  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from scripts.bench_beds import measure, unit_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

HTMX = {"HX-Request": "true"}
BEDS = 32


def main() -> None:
    rows: list[tuple[int, str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            seed = FhirGateway.from_settings(make_settings(server.base_url, tmp / "seed.db"))
            seed.client.transaction(DemoBuilder(seed.identifiers).site_transaction())
            wards = 0
            own: UnitRef | None = None
            for target in (2, 10):
                while wards < target:
                    wards += 1
                    code = f"HV{wards:02d}"
                    builder = DemoBuilder(seed.identifiers, first_number=1_000_000 * wards)
                    seed.client.transaction(builder.unit_transaction(unit_plan(code, f"Ward {wards}", BEDS,
                                                                               seed=wards)))
                    own = own or UnitRef(system=seed.identifiers.location, value=code)
                assert own is not None
                (tmp / f"w{target}").mkdir()
                app, gw = unit_app(server.base_url, tmp / f"w{target}", own)
                client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
                for what, path, headers in (("page", "/hospital/", None), ("poll", "/hospital/units", HTMX)):
                    requests, total, waiting = measure(client, gw, path, headers)
                    rows.append((target, what, requests, total, waiting))
            seed.close()
        finally:
            server.stop()
    print(f"| wards ({BEDS} beds each) | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for wards_n, what, requests, total, waiting in rows:
        print(f"| {wards_n} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")


if __name__ == "__main__":
    main()
