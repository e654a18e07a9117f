"""Benchmark of paging (`.venv/bin/python scripts/bench_paging.py`).

Starts its own sekmet-fhir on a free port (in-memory store) with the demo hospital and the demo's
PractitionerRoles, and a real SMTP server (aiosmtpd) on a loopback port. Measures, through the Flask
test client signed in as the unit secretary:

- Send -> message at the SMTP server: from the moment the "Send page" POST starts to the moment the SMTP
  server has the whole message (the page goes out before its FHIR record is written), and the whole
  request with its FHIR record;
- the screens' FHIR requests: the compose screen (with and without a patient), the pages screen with 0, 5
  and 25 pages waiting, and its poll.

Prints Markdown tables for docs/benchmarks.md (medians of RUNS runs).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from kiosk import create_app  # noqa: E402
from kiosk.auth import Role  # noqa: E402
from kiosk.auth.services import ensure_demo_staff  # noqa: E402
from kiosk.demo.loader import load_demo  # noqa: E402
from kiosk.extensions import database  # noqa: E402
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.gateway import FhirGateway  # noqa: E402
from kiosk.paging.models import Page  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.paging import compose_form, field_value, load_roles, paging_env, recipients_on  # noqa: E402
from tests.support.sekmet import free_port, start_sekmet  # noqa: E402

RUNS = 15


class Arrivals:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.event = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.times.append(time.perf_counter())
        self.event.set()
        return "250 OK"


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sekmet(Path(tmp) / "sekmet")
        arrivals = Arrivals()
        port = free_port()
        smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
        smtp.start()
        try:
            base = make_settings(server.base_url, Path(tmp) / "seed.db")
            gw = FhirGateway.from_settings(base)
            load_demo(gw, say=lambda _line: None)
            load_roles(gw, base)
            stays = [e for e in unit_census(gw).encounters if e.status == "in-progress" and e.patient]
            gw.close()
            app = create_app(make_settings(server.base_url, Path(tmp) / "kiosk.db", **paging_env(port)))
            with app.app_context():
                database().upgrade()
                with database().session() as db:
                    ensure_demo_staff(db, base.identifiers.practitioner)
            client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
            client.get("/paging/new")  # warm-up: the CapabilityStatement and the unit's id

            to_smtp, whole, send_requests = [], [], set()
            for n in range(max(RUNS + 1, 26)):  # 26 pages: the pages screen is measured with 25 waiting
                stay = stays[n % len(stays)]
                path = f"/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}"
                html = client.get(path).get_data(as_text=True)
                form = compose_form(html, recipient=recipients_on(html)[0][0], urgency="urgent",
                                    template="patient-question", free_text="BP 82/40 after the dose.")
                preview = client.post("/paging/preview", data=form, headers={"HX-Request": "true"})
                form["preview_hash"] = field_value(preview.get_data(as_text=True), "preview_hash")
                arrivals.event.clear()
                started = time.perf_counter()
                response = client.post("/paging/send", data=form)
                ended = time.perf_counter()
                assert response.status_code == 200 and "Page sent" in response.get_data(as_text=True)
                assert arrivals.event.wait(10)
                if 0 < n <= RUNS:
                    to_smtp.append((arrivals.times[-1] - started) * 1000)
                    whole.append((ended - started) * 1000)
                    send_requests.add(response.headers["X-FHIR-Requests"])
            print("| what | FHIR requests | median ms |")
            print("| --- | --- | --- |")
            print(f"| Send -> message at the SMTP server | - | {median(to_smtp)} |")
            print(f"| Send, whole request (with the page's FHIR record) | {', '.join(sorted(send_requests))} | "
                  f"{median(whole)} |")

            def measure(path: str) -> tuple[str, float]:
                samples, counts = [], set()
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = client.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                    counts.add(response.headers["X-FHIR-Requests"])
                return ", ".join(sorted(counts)), median(samples)

            stay = stays[0]
            for label, path in (("compose, no patient", "/paging/new"),
                                ("compose about a patient", f"/paging/patients/{stay.patient.split('/')[1]}"
                                                            f"/encounters/{stay.id}")):
                requests, ms = measure(path)
                print(f"| {label} | {requests} | {ms} |")
            for waiting in (5, 25):
                with app.app_context(), database().session() as session:
                    session.query(Page).filter(Page.id > waiting).update({"status": "cancelled"})
                    session.query(Page).filter(Page.id <= waiting).update({"status": "open"})
                requests, ms = measure("/paging/")
                print(f"| pages screen, {waiting} waiting (26 sent today) | {requests} | {ms} |")
                requests, ms = measure("/paging/pages")
                print(f"| its poll, {waiting} waiting | {requests} | {ms} |")
            with app.app_context(), database().session() as session:
                session.query(Page).update({"status": "cancelled"})
            requests, ms = measure("/paging/")
            print(f"| pages screen, none waiting | {requests} | {ms} |")
        finally:
            smtp.stop()
            server.stop()


if __name__ == "__main__":
    main()
