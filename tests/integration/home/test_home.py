"""The home screen reads live counts from the FHIR server in a fixed number of requests."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from kiosk.fhir.census import unit_census
from kiosk.fhir.client import count_requests
from kiosk.fhir.gateway import FhirGateway, UnitRef


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_shows_the_demo_unit_counts(client: FlaskClient) -> None:
    client.get("/")  # the first render reads the CapabilityStatement and resolves the unit once
    response = client.get("/")
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    assert "4 West Medical-Surgical" in page
    # The five counts share out the 32 beds (the isolated patient is occupied, and said so), in the
    # board's words; each leads to the board.
    assert re.search(r"\b24 Occupied 1 isolated 2 Available 2 Reserved 3 Dirty / cleaning 1 Blocked "
                     r"3 Pending admissions\b", page)
    assert response.get_data(as_text=True).count('href="/beds/"><span class="count-n">') == 6
    # The census for the counts was read by the first render and nothing changed since: the look at the
    # server's changes only (kiosk.census); and the housekeeping panel's one search of the open cleaning jobs.
    assert "Housekeeping: 2 beds wait (1 stat), 1 being cleaned" in page
    # And the bed requests' panel: one Task search.
    assert response.headers["X-FHIR-Requests"] == "3"


def test_the_census_costs_the_same_requests_for_20_and_200_beds(gateway: FhirGateway,
                                                                 make_unit: Callable[..., UnitRef]) -> None:
    small, large = make_unit(20), make_unit(200)
    gateway.unit_location_id(small), gateway.unit_location_id(large)  # resolve (and cache) the unit ids
    assert gateway.capabilities.software  # read once: the census checks its searches against it
    with count_requests() as c20:
        census20 = unit_census(gateway, small)
    with count_requests() as c200:
        census200 = unit_census(gateway, large)
    assert len(census20.beds) == 20 and len(census200.beds) == 200
    assert c20.total == c200.total == 6
    # Chained searches of fixed size (the alerts come with the stays): no list of ids that grows with the unit.
    assert c20.by_kind == c200.by_kind == {"search Location": 1, "search Encounter": 3, "search Task": 2}


def test_a_server_that_is_down_leaves_a_readable_home_page(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    from kiosk.extensions import services
    from kiosk.fhir.client import FhirClient
    from tests.support.sekmet import free_port

    with app.app_context():
        gw = services().gateway()
        gw.client = FhirClient(f"http://127.0.0.1:{free_port()}/fhir", read_retries=0)
        gw._unit_ids.clear()
    response = client.get("/")
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    assert "Unit counts are not available" in page and "cannot be reached" in page


def test_healthz_reports_fhir_and_database_without_patient_data(client: FlaskClient) -> None:
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["fhir"]["ok"] and body["checks"]["database"]["ok"]
    assert set(body) == {"status", "version", "checks", "push"}
    # How it hears of changes, and how it tells its screens: no records.
    assert set(body["push"]) == {"subscriptions", "screens_told_by", "live_screens"}


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"  # the origin check needs a real Origin


def test_healthz_probes_the_server_at_most_every_few_seconds_and_says_little(
        app, anonymous_client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    from kiosk.extensions import services
    from kiosk.health import services as health

    with app.app_context():
        gw = services().gateway()
    health._fhir_probes.pop(gw, None)
    client = gw.client
    before = client.total_requests
    for _ in range(5):
        body = anonymous_client.get("/healthz").get_json()
    assert body["checks"]["fhir"] == {"ok": True, "detail": "reachable", "ms": body["checks"]["fhir"]["ms"]}
    assert "SEKMET" not in str(body) and "127.0.0.1" not in str(body)
    assert client.total_requests - before == 1
