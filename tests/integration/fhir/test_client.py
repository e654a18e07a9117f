"""The FHIR client against a real sekmet-fhir server over HTTP: versions, transactions, paging,
conditional creates, readable errors, and a server that is down or silent."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from kiosk.fhir.client import FhirClient, Transaction, count_requests, identifier_query
from kiosk.fhir.errors import FhirConflict, FhirError, FhirNotFound, FhirUnavailable, InvalidResource
from tests.support.sekmet import SekmetServer, free_port

SYSTEM = "https://kiosk.example.org/fhir/sid/test"


@pytest.fixture
def fhir(sekmet: SekmetServer) -> Iterator[FhirClient]:
    client = FhirClient(sekmet.base_url, connect_timeout=3, read_timeout=10)
    yield client
    client.close()


def patient(value: str, family: str = "Tester") -> dict[str, object]:
    return {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": value}],
            "name": [{"family": family, "given": ["Pat"]}], "gender": "unknown"}


def bed(name: str, status: str = "U") -> dict[str, object]:
    return {"resourceType": "Location", "name": name, "status": "active", "mode": "instance",
            "identifier": [{"system": SYSTEM, "value": name}],
            "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": status}}


def test_stale_if_match_is_a_conflict_and_nothing_is_overwritten(fhir: FhirClient) -> None:
    created = fhir.create(bed(f"B-{uuid.uuid4().hex[:6]}"))
    first_read = fhir.read("Location", created.id)
    # Another station changes the bed first.
    other = {**first_read, "operationalStatus": {**first_read["operationalStatus"], "code": "H"}}
    fhir.update(other, version=first_read["meta"]["versionId"])
    # This station still holds version 1 and tries to mark the bed occupied.
    mine = {**first_read, "operationalStatus": {**first_read["operationalStatus"], "code": "O"}}
    with pytest.raises(FhirConflict) as err:
        fhir.update(mine, version=first_read["meta"]["versionId"])
    assert err.value.current_version == "2"
    assert err.value.current is not None and err.value.current["operationalStatus"]["code"] == "H"
    assert "changed at another station" in err.value.message
    assert fhir.read("Location", created.id)["operationalStatus"]["code"] == "H"


def test_update_always_needs_the_version_read(fhir: FhirClient) -> None:
    created = fhir.create(bed(f"B-{uuid.uuid4().hex[:6]}"))
    with pytest.raises(ValueError, match="If-Match"):
        fhir.update(created.resource, version=None)


def test_a_transaction_that_fails_half_way_changes_nothing(fhir: FhirClient) -> None:
    tag = uuid.uuid4().hex[:8]
    target = fhir.create(bed(f"B-{tag}"))
    stale_version = target.version
    fhir.update({**target.resource, "name": f"B-{tag}-renamed"}, version=stale_version)

    tx = Transaction()
    new_patient = tx.create(patient(f"P-{tag}"), if_none_exist=identifier_query(SYSTEM, f"P-{tag}"))
    tx.create({"resourceType": "Flag", "status": "active", "code": {"text": "Fall risk"},
               "subject": {"reference": new_patient}})
    tx.update({**target.resource, "operationalStatus": {**target.resource["operationalStatus"], "code": "O"}},
              version=stale_version)
    with pytest.raises(FhirConflict):
        fhir.transaction(tx)
    assert fhir.search("Patient", [("identifier", f"{SYSTEM}|P-{tag}")]).matches == []
    now = fhir.read("Location", target.id)
    assert now["name"] == f"B-{tag}-renamed" and now["operationalStatus"]["code"] == "U"
    assert now["meta"]["versionId"] == "2"


def test_a_transaction_links_new_resources_by_urn_uuid(fhir: FhirClient) -> None:
    tag = uuid.uuid4().hex[:8]
    tx = Transaction()
    p = tx.create(patient(f"P-{tag}"))
    tx.create({"resourceType": "Flag", "status": "active", "code": {"text": "Allergy: latex"},
               "subject": {"reference": p}})
    results = fhir.transaction(tx)
    assert [r.created for r in results] == [True, True]
    patient_ref = results[0].reference
    assert results[1].resource is not None and results[1].resource["subject"]["reference"] == patient_ref


def test_search_over_several_pages_returns_every_resource_once(fhir: FhirClient) -> None:
    tag = uuid.uuid4().hex[:8]
    tx = Transaction()
    for i in range(25):
        tx.create({**patient(f"{tag}-{i:02d}", family=f"Paging{tag}")})
    fhir.transaction(tx)
    with count_requests() as counter:
        result = fhir.search("Patient", [("family", f"Paging{tag}"), ("_count", "10")])
    assert result.pages == 3 and counter.total == 3
    values = sorted(p["identifier"][0]["value"] for p in result.matches)
    assert values == sorted(f"{tag}-{i:02d}" for i in range(25))
    assert result.total == 25


def test_include_is_resolved(fhir: FhirClient) -> None:
    tag = uuid.uuid4().hex[:8]
    tx = Transaction()
    p = tx.create(patient(f"I-{tag}"))
    tx.create({"resourceType": "Flag", "status": "active", "code": {"text": f"inc-{tag}"},
               "subject": {"reference": p}})
    refs = fhir.transaction(tx)
    result = fhir.search("Flag", [("patient", refs[0].reference or ""), ("_include", "Flag:subject")])
    assert len(result.matches) == 1
    included = result.resolve(result.matches[0]["subject"]["reference"])
    assert included is not None and included["identifier"][0]["value"] == f"I-{tag}"


def test_conditional_create_run_twice_creates_one_resource(fhir: FhirClient) -> None:
    value = f"C-{uuid.uuid4().hex[:8]}"
    first = fhir.create(patient(value), if_none_exist=identifier_query(SYSTEM, value))
    second = fhir.create(patient(value), if_none_exist=identifier_query(SYSTEM, value))
    assert first.created and not second.created
    assert first.id == second.id
    assert len(fhir.search("Patient", [("identifier", f"{SYSTEM}|{value}")]).matches) == 1


def test_operation_outcome_text_reaches_the_message(fhir: FhirClient) -> None:
    with pytest.raises(FhirError) as err:
        fhir.search("Patient", [("shoe-size", "42")])
    assert "Unknown search parameter 'shoe-size' for Patient" in err.value.message
    with pytest.raises(FhirNotFound) as missing:
        fhir.read("Patient", "does-not-exist")
    assert "Patient/does-not-exist not found" in missing.value.message


def test_invalid_codes_are_refused_before_the_server_sees_them(fhir: FhirClient) -> None:
    with count_requests() as counter, pytest.raises(InvalidResource, match="status 'bogus'"):
        fhir.create({"resourceType": "Encounter", "status": "bogus", "class": {"code": "IMP"}})
    assert counter.total == 0


def test_a_server_that_is_down_gives_a_clear_error_at_once() -> None:
    port = free_port()
    client = FhirClient(f"http://127.0.0.1:{port}/fhir", connect_timeout=1, read_timeout=1, read_retries=2,
                        backoff=0.05)
    started = time.monotonic()
    with pytest.raises(FhirUnavailable, match="cannot be reached"):
        client.read("Patient", "x")
    assert time.monotonic() - started < 2
    assert client.total_requests == 3  # one try and two retries: reads are idempotent
    with pytest.raises(FhirUnavailable):
        client.create(patient("never"))
    assert client.total_requests == 4  # writes are never retried


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/fhir"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_a_server_that_does_not_answer_times_out_within_the_read_timeout(silent_server: str) -> None:
    client = FhirClient(silent_server, connect_timeout=1, read_timeout=0.5, read_retries=2)
    started = time.monotonic()
    with pytest.raises(FhirUnavailable, match=r"no answer within 0.5 s"):
        client.read("Patient", "x")
    # A read timeout is not retried: a slow server would only be slowed down further.
    assert time.monotonic() - started < 1.5


def test_search_values_are_escaped_so_a_comma_is_never_an_or_list(fhir: FhirClient) -> None:
    """R4 search escaping: ',' '|' '$' in a typed value are literal; unescaped, 'A,B' finds A and B."""
    from kiosk.fhir.client import token

    tag = uuid.uuid4().hex[:6]
    first, second = f"{tag}A", f"{tag}B"
    for value in (first, second, f"{tag}A,{tag}B"):
        fhir.create(patient(value))

    def found(value: str) -> list[str]:
        result = fhir.search("Patient", [("identifier", token(SYSTEM, value))], post=True)
        return sorted(ident["value"] for m in result.matches for ident in m["identifier"])

    assert found(first) == [first]
    assert found(f"{first},{second}") == [f"{first},{second}"]  # the one patient whose MRN has a comma
    assert found(",") == [] and found(f"{first}|x") == [] and found(f"{first}$x") == []
    raw = fhir.search("Patient", [("identifier", f"{SYSTEM}|{first},{second}")], post=True)
    assert len(raw.matches) == 2  # what an unescaped value does on this server
    assert token("urn:x", "a\\b,c|d$e") == "urn:x|a\\\\b\\,c\\|d\\$e"
