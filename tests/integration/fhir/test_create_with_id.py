"""Update-as-create (PUT to an id the kiosk chose, no If-Match) against sekmet-fhir, alone and in a
transaction, for resources whose conditional create the server cannot do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kiosk.fhir.client import FhirClient, Transaction
from kiosk.fhir.errors import InvalidResource
from tests.support.sekmet import SekmetServer


@pytest.fixture
def fhir(sekmet: SekmetServer) -> Iterator[FhirClient]:
    client = FhirClient(sekmet.base_url)
    yield client
    client.close()


def basic(resource_id: str) -> dict[str, object]:
    return {"resourceType": "Basic", "id": resource_id,
            "code": {"coding": [{"system": "https://kiosk.example.org/fhir/CodeSystem/test", "code": "t"}]}}


def test_create_with_id_creates_at_that_id(fhir: FhirClient) -> None:
    rid = f"kiosk-{uuid.uuid4().hex[:12]}"
    result = fhir.create_with_id(basic(rid))
    assert result.created and result.id == rid and result.version == "1"
    assert fhir.read("Basic", rid)["id"] == rid
    again = fhir.create_with_id(basic(rid))
    assert not again.created and again.version == "2"


def test_create_with_id_in_a_transaction(fhir: FhirClient) -> None:
    ids = [f"kiosk-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    tx = Transaction()
    for rid in ids:
        tx.create_with_id(basic(rid))
    results = fhir.transaction(tx)
    assert [r.created for r in results] == [True, True]
    assert [r.reference for r in results] == [f"Basic/{rid}" for rid in ids]


def test_create_with_id_needs_an_id_and_a_valid_resource(fhir: FhirClient) -> None:
    with pytest.raises(ValueError, match="id"):
        Transaction().create_with_id({"resourceType": "Basic", "code": {"text": "t"}})
    with pytest.raises(InvalidResource):
        fhir.create_with_id({"resourceType": "Basic", "id": "x", "code": "not a concept"})
