"""Benchmarks of patient transport (`.venv/bin/python scripts/bench_transport.py`): the unit's transport
board (page, a poll that finds nothing new, a poll that does), a transporter's list, the bed board with
its transport marks, the request form and one action, with 10 and with 200 open jobs on the unit; FHIR
requests per render and the time spent waiting for the server.

Starts its own sekmet-fhir on a free port (in-memory store) and prints Markdown tables for
docs/benchmarks.md. Figures vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.auth import Role  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.demo.transport import seed_departments  # noqa: E402
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.transport.fhir import PlaceRef, Systems, open_jobs  # noqa: E402
from kiosk.transport.seeding import JobSpec, job_transaction  # noqa: E402
from scripts.bench import RUNS  # noqa: E402
from scripts.bench_beds import measure, unit_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import csrf_token, sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

HTMX = {"HX-Request": "true"}
STATES = ("requested", "accepted", "delayed", "picked-up", "requested", "back-waiting")


def add_jobs(gw: FhirGateway, ref: UnitRef, start: int, count: int, departments: dict[str, str]) -> None:
    """`count` open jobs of the unit's patients, in turn in every open state."""
    census = unit_census(gw, ref)
    sys_ = Systems(gw.identifiers.code_systems)
    people = [(bed, enc) for bed in census.beds for enc in census.encounters
              if enc.status == "in-progress" and any(loc.location == bed.reference and loc.status == "active"
                                                     for loc in enc.locations)]
    imaging = PlaceRef("Imaging (Radiology)", departments["DEPT-IMG"])
    owner = {"identifier": {"system": sys_.staff, "value": "100005"}, "display": "Jordan Blake"}
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(start, start + count):
        bed, enc = people[n % len(people)]
        origin = PlaceRef(bed.name, bed.reference, unit=census.unit.reference, unit_name=census.unit.name, is_bed=True)
        spec = JobSpec(number=f"TR-B{n:07X}", patient=enc.patient or "", encounter=enc.reference, origin=origin,
                       destination=imaging, state=STATES[n % len(STATES)], asked_ago=5 + n % 40, owner=owner)
        gw.client.transaction(job_transaction(spec, sys_, now, {"display": "Bench"}))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            settings = make_settings(server.base_url, tmp / "seed.db")
            seed = FhirGateway.from_settings(settings)
            builder = DemoBuilder(seed.identifiers, first_number=3_000_000)
            seed.client.transaction(builder.site_transaction())
            seed.client.transaction(builder.unit_transaction(unit_plan("TB32", "Bench 32", 32, seed=7)))
            ref = UnitRef(system=seed.identifiers.location, value="TB32")
            departments = seed_departments(seed)
            app, gw = unit_app(server.base_url, tmp, ref)
            census = unit_census(gw, ref)
            patient = next(e for e in census.encounters if e.status == "in-progress")
            rows: list[tuple[int, str, str, float, float]] = []
            action_rows: list[tuple[int, str, float]] = []
            added = 0
            for jobs in (10, 200):
                add_jobs(seed, ref, added, jobs - added, departments)
                added = jobs
                # Signed in after the jobs are written: a session left idle that long locks.
                desk = sign_in_client(app.test_client())
                porter = sign_in_client(app.test_client(), Role.TRANSPORTER)
                desk.get("/transport/")
                html = desk.get("/transport/board", headers=HTMX).get_data(as_text=True)
                fingerprint = re.search(r'"X-Region-Fingerprint": "([0-9a-f]+)"', html)
                assert fingerprint is not None and html.count('class="job-row') >= jobs, html.count("job-row")
                for what, client, path, headers in (
                    ("transport board page", desk, "/transport/", None),
                    ("board poll, nothing new (204)", desk, "/transport/board",
                     {**HTMX, "X-Region-Fingerprint": fingerprint.group(1)}),
                    ("board poll, redrawn (200)", desk, "/transport/board", HTMX),
                    ("transporter's list (poll)", porter, "/transport/jobs/list", HTMX),
                    ("bed board with transport marks", desk, "/beds/", None),
                    ("request form", desk, f"/transport/request/{(patient.patient or '/').split('/')[1]}/{patient.id}",
                     None),
                ):
                    requests, total, waiting = measure(client, gw, path, headers)
                    rows.append((jobs, what, requests, total, waiting))
                # One action: accept a waiting job (each run a different one), as the phone sends it.
                with app.app_context():
                    waiting_jobs = [j for j in open_jobs(gw).jobs if j.status == "requested"]
                token = csrf_token(porter.get("/transport/jobs").get_data(as_text=True))
                samples: list[float] = []
                requests = ""
                for job in waiting_jobs[:RUNS]:
                    data = {"csrf_token": token, "number": job.number, "seen": f"Task/{job.id}@{job.version}",
                            "screen": "phone"}
                    started = time.perf_counter()
                    response = porter.post(f"/transport/jobs/{job.id}/accept", data=data, headers=HTMX)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                    requests = response.headers["X-FHIR-Requests"]
                action_rows.append((jobs, requests, statistics.median(samples)))
            seed.close()
        finally:
            server.stop()
    print("| open jobs | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for jobs, what, requests, total, waiting in rows:
        print(f"| {jobs} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")
    print()
    print("| open jobs | accept a job (POST, sheet and list redrawn) | FHIR requests | median ms |")
    print("| --- | --- | --- | --- |")
    for jobs, requests, median in action_rows:
        print(f"| {jobs} | accept | {requests} | {median:.1f} |")


if __name__ == "__main__":
    main()
