"""Benchmarks of orders (`.venv/bin/python scripts/bench_orders.py`): the unit's co-signature list and a
patient's orders with 50 and with 500 orders awaiting co-signature on the unit, and entering one order
(the read-back, then the send); FHIR requests per render and the time spent waiting for the server.

Starts its own sekmet-fhir on a free port (in-memory store) and prints Markdown tables for
docs/benchmarks.md. Figures vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

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
from kiosk.fhir.census import unit_census  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.fhir.orders import Systems, staff_reference  # noqa: E402
from kiosk.orders import OrderSpec, load_orders_settings, order_transaction  # noqa: E402
from scripts.bench import RUNS  # noqa: E402
from scripts.bench_beds import measure, unit_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import csrf_token, sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

ITEMS = ("57021-8", "51990-0", "xr-chest-portable", "vitals-q4h", "pt-eval", "consult-cardiology", "10839-9")


def add_orders(gw: FhirGateway, ref: UnitRef, start: int, count: int, settings: object) -> None:
    """`count` orders awaiting co-signature on the unit's patients, some of them past due."""
    census = unit_census(gw, ref)
    stays = [e for e in census.encounters if e.status == "in-progress" and e.patient]
    orders = load_orders_settings(settings)  # type: ignore[arg-type]
    sys_ = Systems(gw.identifiers.code_systems, orders.order_number_system, orders.accession_system)
    provider = "Practitioner?identifier=" + f"{gw.identifiers.practitioner}|P1001"
    found = gw.client.search("Practitioner", [("identifier", provider.split("=", 1)[1])])
    practitioner = f"Practitioner/{found.matches[0]['id']}"
    enterer = staff_reference(sys_, "100001", "Bench", None)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(start, start + count):
        stay = stays[n % len(stays)]
        item = orders.catalog.item(ITEMS[n % len(ITEMS)])
        assert item is not None
        spec = OrderSpec(number=f"OR-B{n:09X}", patient=stay.patient or "", encounter=stay.reference,
                         unit_id=census.unit.id, item=item, provider=practitioner, provider_name="Dr. Adeyemi",
                         hours_ago=1 + n % 30)
        gw.client.transaction(order_transaction(spec, sys_, now, enterer))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            settings = make_settings(server.base_url, tmp / "seed.db")
            seed = FhirGateway.from_settings(settings)
            builder = DemoBuilder(seed.identifiers, first_number=4_000_000)
            seed.client.transaction(builder.site_transaction())
            seed.client.transaction(builder.unit_transaction(unit_plan("OB32", "Bench 32", 32, seed=11)))
            ref = UnitRef(system=seed.identifiers.location, value="OB32")
            app, gw = unit_app(server.base_url, tmp, ref)
            census = unit_census(gw, ref)
            stays = [e for e in census.encounters if e.status == "in-progress" and e.patient]
            rows: list[tuple[int, str, str, float, float]] = []
            entry_rows: list[tuple[int, str, str, float]] = []
            added = 0
            for count in (50, 500):
                add_orders(seed, ref, added, count - added, settings)
                added = count
                desk = sign_in_client(app.test_client())
                provider = sign_in_client(app.test_client(), Role.PROVIDER)
                html = desk.get("/orders/cosign").get_data(as_text=True)
                shown = html.count('class="order-row')  # also the orders the previous round's sends entered
                assert shown >= count, shown
                stay = stays[0]
                base = f"/orders/patients/{(stay.patient or '/').split('/')[1]}/encounters/{stay.id}"
                for what, client, path in (
                    ("unit's co-signature list (desk)", desk, "/orders/cosign"),
                    ("unit's co-signature list (provider)", provider, "/orders/cosign"),
                    ("a patient's orders", desk, base),
                    ("order form", desk, f"{base}/new"),
                ):
                    requests, total, waiting = measure(client, gw, path)
                    rows.append((shown, what, requests, total, waiting))
                # Entering one order: the read-back, then the send (each run a new order of another stay).
                token = csrf_token(desk.get(base).get_data(as_text=True))
                for step in ("review", "send"):
                    samples: list[float] = []
                    requests = ""
                    for n in range(RUNS):
                        other = stays[(n + 1) % len(stays)]
                        path = f"/orders/patients/{(other.patient or '/').split('/')[1]}/encounters/{other.id}/new"
                        data = {"csrf_token": token, "number": f"OR-{count:04X}{n:03X}{len(step):03X}", "step": step,
                                "item": "24356-8", "mode": "PC", "provider": "", "priority": "routine",
                                "when": "now", "read_back": "y", "order_anyway": "y", "duplicate_reason": "Bench"}
                        data["provider"] = other.participant("ATND") or ""
                        started = time.perf_counter()
                        response = desk.post(path, data=data)
                        samples.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, response.get_data(as_text=True)[-800:]
                        requests = response.headers["X-FHIR-Requests"]
                    entry_rows.append((count, step, requests, statistics.median(samples)))
            seed.close()
        finally:
            server.stop()
    print("| orders awaiting co-signature | what | FHIR requests | median ms | of which waiting for the server |")
    print("| --- | --- | --- | --- | --- |")
    for count, what, requests, total, waiting in rows:
        print(f"| {count} | {what} | {requests} | {total:.1f} | {waiting:.1f} |")
    print()
    print("| orders on the unit | entering one order | FHIR requests | median ms |")
    print("| --- | --- | --- | --- |")
    for count, step, requests, median in entry_rows:
        words = "read-back (POST step=review)" if step == "review" else "send (POST step=send, one transaction)"
        print(f"| {count} | {words} | {requests} | {median:.1f} |")


if __name__ == "__main__":
    main()
