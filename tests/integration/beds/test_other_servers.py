"""The bed board on servers that differ from the one we develop on (the real sekmet-fhir behind a small
proxy that changes one thing): no CapabilityStatement, _include ignored without a word, paging that
stops early. The board keeps working where it can and says what it cannot know."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from flask.testing import FlaskClient

from kiosk.beds.occupancy import BedState
from kiosk.fhir.client import FhirClient
from kiosk.fhir.gateway import FhirGateway
from tests.support.beds import BedUnit, app_gateway, page_text, read_again, signed_in
from tests.support.fhir_faults import DiffersFromSekmet

Factory = Callable[..., BedUnit]


def behind(unit: BedUnit, transport: httpx.BaseTransport) -> tuple[FhirGateway, FlaskClient]:
    """The kiosk of `unit` talking to its server through `transport`, with nothing cached."""
    gw = app_gateway(unit.app)
    gw.client = FhirClient(unit.gw.client.base_url, transport=transport)
    gw.capabilities_cache.forget()
    return gw, signed_in(unit.app)


def names_on(html: str) -> list[str]:
    return sorted(re.findall(r'class="bed-patient[^"]*">([^<]+)<', html))


def test_a_server_without_a_capability_statement_is_probed_and_the_board_works(bed_unit: Factory) -> None:
    unit = bed_unit()
    expected = names_on(signed_in(unit.app).get("/beds/").get_data(as_text=True))
    gw, client = behind(unit, DiffersFromSekmet(no_statement=True))
    html = client.get("/beds/").get_data(as_text=True)
    assert names_on(html) == expected and len(expected) > 5
    assert gw.capabilities.probed and gw.capabilities.refused_searches == frozenset()
    health = unit.app.test_client().get("/healthz").get_json()
    assert health["checks"]["fhir"]["detail"] == "reachable, no CapabilityStatement (searches probed)"


def test_a_probed_search_the_server_refuses_is_named_on_the_board(bed_unit: Factory) -> None:
    unit = bed_unit()
    _, client = behind(unit, DiffersFromSekmet(no_statement=True, refuses=("Task:focus",)))
    text = page_text(client.get("/beds/").get_data(as_text=True))
    assert "The bed board needs Task search by focus" in text


def test_includes_ignored_without_a_word_are_fetched_in_one_more_search_each(bed_unit: Factory) -> None:
    small, large = bed_unit(20), bed_unit(40)
    counts = []
    for unit in (small, large):
        normal = signed_in(unit.app)
        normal.get("/beds/")
        read_again(unit.app)  # the kept census is read from the server again at the next render
        plain = normal.get("/beds/")
        expected = names_on(plain.get_data(as_text=True))
        _, client = behind(unit, DiffersFromSekmet(ignores_includes=True))
        client.get("/beds/")  # the statement is read once
        read_again(unit.app)
        response = client.get("/beds/")
        assert names_on(response.get_data(as_text=True)) == expected
        assert "Unreadable" not in response.get_data(as_text=True)
        # The unit itself, the rooms' beds, the patients and the practitioners: one more request each,
        # whatever the size of the unit.
        counts.append(int(response.headers["X-FHIR-Requests"]) - int(plain.headers["X-FHIR-Requests"]))
    assert counts == [4, 4]


def test_a_server_that_stops_paging_early_makes_an_incomplete_board_said_so(bed_unit: Factory) -> None:
    unit = bed_unit(20)
    _, client = behind(unit, DiffersFromSekmet(page_size=5, no_next=True))
    text = page_text(client.get("/beds/").get_data(as_text=True))
    assert "This board is incomplete" in text and "on the server" in text
    home = page_text(client.get("/").get_data(as_text=True))
    assert "these counts may be short" in home


def test_a_normal_server_board_is_not_called_incomplete(bed_unit: Factory) -> None:
    unit = bed_unit(20)
    text = page_text(signed_in(unit.app).get("/beds/").get_data(as_text=True))
    assert "incomplete" not in text and unit.beds(BedState.OCCUPIED)
