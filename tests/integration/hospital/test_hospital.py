"""The hospital view on the real FHIR server: every ward's counts are its own bed board's counts, and the
page costs the same number of FHIR requests for 2 wards as for 10."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedCount, bed_occupancy, counted_as, unit_counts
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.site import site_census
from kiosk.hospital.services import hospital_view
from tests.support.auth import sign_in_client
from tests.support.beds import unit_env, unit_gateway
from tests.support.hospital import TestSite, make_site
from tests.support.outage_proxy import OutageProxy
from tests.support.sekmet import SekmetServer

#: Read the own unit, the site's places (three chained searches) and its open stays (three).
SITE_REQUESTS = 7


@pytest.fixture
def site(gateway: FhirGateway) -> TestSite:
    return make_site(gateway)


def _request_count(app: Flask) -> tuple[int, str]:
    client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    response = client.get("/hospital/")
    assert response.status_code == 200
    return int(response.headers["X-FHIR-Requests"]), response.get_data(as_text=True)


def test_each_ward_counts_as_its_own_bed_board(site: TestSite, gateway: FhirGateway) -> None:
    first = site.add_unit(beds=8)
    site.add_unit(beds=5)
    empty = site.add_unit(beds=0)
    gw = unit_gateway(gateway, first)
    census = site_census(gw)
    assert len(census.units) == 3
    for ref in site.units:
        unit_gw = unit_gateway(gateway, ref)
        own = unit_census(unit_gw)
        board = unit_counts(own)
        sliced = census.units[own.unit.reference]
        assert unit_counts(sliced) == board
        assert sorted(b.reference for b in sliced.beds) == sorted(b.reference for b in own.beds)
    empty_ref = f"Location/{gw.unit_location_id(empty)}"
    assert unit_counts(census.units[empty_ref]).total_beds == 0
    view = hospital_view(gw)
    assert view.cards[0].own and view.cards[0].reference == f"Location/{gw.unit_location_id(first)}"
    assert view.totals["total_beds"] == 13


def test_the_board_and_the_hospital_view_agree_after_a_change(site: TestSite, gateway: FhirGateway) -> None:
    """A bed moved to another count on one ward's board moves the same way on the hospital view."""
    ref = site.add_unit(beds=12)
    gw = unit_gateway(gateway, ref)
    own = unit_census(gw)
    empty = (BedCount.AVAILABLE, BedCount.RESERVED, BedCount.DIRTY)
    free = next(o for o in bed_occupancy(own) if counted_as(o) in empty and not o.occupants)
    resource = gateway.client.read("Location", free.bed.reference.split("/", 1)[1])
    resource["operationalStatus"] = b.bed_status(codes.BED_CLOSED)
    gateway.client.update(resource, version=resource["meta"]["versionId"])
    after = unit_counts(unit_census(gw))
    assert after.blocked == unit_counts(own).blocked + 1
    assert unit_counts(site_census(gw).units[own.unit.reference]) == after


def test_same_requests_for_two_and_ten_wards(site: TestSite, make_app: Callable[..., Flask]) -> None:
    own = site.add_unit(beds=4)
    site.add_unit(beds=4)
    app = make_app(**unit_env(own))
    _request_count(app)  # the first page also reads the server's capabilities and looks the unit up (kept)
    two, html = _request_count(app)
    assert html.count('class="hosp-card') == 2
    for _ in range(8):
        site.add_unit(beds=4)
    ten, html = _request_count(app)
    assert html.count('class="hosp-card') == 10
    assert two == ten == SITE_REQUESTS
    assert "This unit" in html


def test_page_shows_counts_only(site: TestSite, make_app: Callable[..., Flask], gateway: FhirGateway) -> None:
    own = site.add_unit(beds=6)
    app = make_app(**unit_env(own))
    _, html = _request_count(app)
    census = unit_census(unit_gateway(gateway, own))
    assert census.encounters
    for enc in census.encounters:
        patient = gateway.client.read("Patient", (enc.patient or "").split("/", 1)[1])
        for name in patient.get("name") or []:
            assert name.get("family") not in html
    assert re.search(r'data-count="occupied"><dt>Occupied</dt><dd>\d+</dd>', html)


def test_home_links_to_the_hospital_view(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/hospital/"' in page


@pytest.fixture
def outage(sekmet: SekmetServer) -> Iterator[OutageProxy]:
    proxy = OutageProxy(sekmet.base_url).start()
    yield proxy
    proxy.stop()


def test_the_poll_refreshes_the_cards_and_keeps_them_when_the_server_is_down(
        site: TestSite, gateway: FhirGateway, make_app: Callable[..., Flask], outage: OutageProxy) -> None:
    own = site.add_unit(beds=6)
    app = make_app(KIOSK_FHIR_BASE_URL=outage.base_url, **unit_env(own))
    client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    assert client.get("/hospital/").status_code == 200
    site.add_unit(beds=4)
    poll = client.get("/hospital/units", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and poll.get_data(as_text=True).count('class="hosp-card') == 2
    outage.go_down()
    poll = client.get("/hospital/units", headers={"HX-Request": "true"})
    assert poll.status_code == 503 and poll.headers["HX-Reswap"] == "none"
    assert "cannot be reached" in poll.headers["X-Poll-Problem"]
    page = client.get("/hospital/")
    assert page.status_code == 200 and "The hospital view is not available" in page.get_data(as_text=True)
    outage.come_back()
    assert client.get("/hospital/units", headers={"HX-Request": "true"}).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_everyone_signed_in_may_look(role: Role, site: TestSite, make_app: Callable[..., Flask]) -> None:
    app = make_app(**unit_env(site.add_unit(beds=2)))
    assert app.test_client().get("/hospital/").status_code in (302, 303)  # to the sign-in
    assert sign_in_client(app.test_client(), role).get("/hospital/").status_code == 200
