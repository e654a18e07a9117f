"""The modifier-extension walk (R4: a record carrying one is shown for checking and offers no action) is
skipped only for resources whose answer's text cannot spell one; every other way of spelling it is caught."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kiosk.fhir.census import GROUPS, CensusSource, assemble
from kiosk.fhir.client import FhirClient, may_carry_modifier
from kiosk.fhir.records import read_encounter, read_flag, read_location, read_patient, read_task
from tests.conftest import make_settings

ENC = "urn:enc"
IDENTIFIERS = make_settings("http://fhir.test/fhir", Path("unused.db")).identifiers
#: "modifierExtension" with its first letter as a JSON escape, and wholly escaped.
ESCAPED_M = '"\\u006dodifierExtension"'
ESCAPED_ALL = '"' + "".join(f"\\u{ord(c):04x}" for c in "modifierExtension") + '"'
ESCAPED_UPPER = '"\\u006DodifierExtension"'
ESCAPED_E = '"modifier\\u0045xtension"'
MODIFIER = '[{"url": "http://example.org/not-really", "valueBoolean": true}]'


def encounter_text(key: str | None = None) -> str:
    extra = f", {key}: {MODIFIER}" if key else ""
    return ('{"resourceType": "Encounter", "id": "e1", "status": "in-progress", "class": {"code": "IMP"}, '
            f'"subject": {{"reference": "Patient/p1"}}{extra}}}')


def bundle_text(*resources: str) -> str:
    entries = ", ".join(f'{{"resource": {r}, "search": {{"mode": "match"}}}}' for r in resources)
    return f'{{"resourceType": "Bundle", "type": "searchset", "entry": [{entries}]}}'


@pytest.mark.parametrize("body, may", [
    (bundle_text(encounter_text()), False),
    (bundle_text(encounter_text('"modifierExtension"')), True),
    (bundle_text(encounter_text(ESCAPED_M)), True),
    (bundle_text(encounter_text(ESCAPED_ALL)), True),
    (bundle_text(encounter_text(ESCAPED_UPPER)), True),
    (bundle_text(encounter_text(ESCAPED_E)), True),
    # Any escape of an ASCII character, wherever it is, is not looked into further; nor is an escaped
    # backslash before "u00..".
    (bundle_text('{"resourceType": "Patient", "id": "p1", "name": [{"family": "O\\u0027Brien"}]}'), True),
    (bundle_text('{"resourceType": "Patient", "id": "p1", "name": [{"family": "a\\\\u0041"}]}'), True),
    # Escapes of non-ASCII characters (a name's accents, as many servers write them) spell no letter of it.
    (bundle_text('{"resourceType": "Patient", "id": "p1", "name": [{"family": "Garc\\u00eda \\u0141\\u1ec5"}]}'),
     False),
    # A plain non-ASCII name sent as UTF-8 spells nothing.
    (bundle_text('{"resourceType": "Patient", "id": "p1", "name": [{"family": "García"}]}'), False),
])
def test_an_answer_may_carry_a_modifier_only_if_its_text_spells_one(body: str, may: bool) -> None:
    assert may_carry_modifier(body.encode("utf-8")) is may
    assert may_carry_modifier(body.encode("utf-8-sig")) is may
    # JSON in UTF-16 or UTF-32 (which json.loads reads) is not looked into: it may.
    assert may_carry_modifier(body.encode("utf-16-le")) is True
    assert may_carry_modifier(body.encode("utf-32")) is True


def test_every_escaped_spelling_parses_to_the_key_the_walk_looks_for() -> None:
    for key in (ESCAPED_M, ESCAPED_ALL, ESCAPED_UPPER, ESCAPED_E):
        resource = json.loads(encounter_text(key))
        assert "modifierExtension" in resource
        assert read_encounter(resource, ENC).modifier


def search_with(body: str) -> tuple[bool, bool]:
    """A search whose answer is `body`: (the result's modifier_free, the encounter read as told)."""
    client = FhirClient("http://fhir.test/fhir", transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=body.encode("utf-8"),
                                       headers={"Content-Type": "application/fhir+json"})))
    try:
        result = client.search("Encounter", [("status", "in-progress")])
    finally:
        client.close()
    record = read_encounter(result.matches[0], ENC, modifier_free=result.modifier_free)
    return result.modifier_free, record.modifier


@pytest.mark.parametrize("key", ['"modifierExtension"', ESCAPED_M, ESCAPED_ALL, ESCAPED_UPPER, ESCAPED_E])
def test_a_search_whose_answer_spells_a_modifier_is_walked_and_the_record_marked(key: str) -> None:
    assert search_with(bundle_text(encounter_text(key))) == (False, True)


def test_a_search_whose_answer_cannot_spell_one_is_not_walked() -> None:
    assert search_with(bundle_text(encounter_text())) == (True, False)


def test_modifier_free_is_what_the_walk_would_find_for_a_resource_without_one() -> None:
    location = {"resourceType": "Location", "id": "b1", "name": "4W-401A"}
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe", "given": ["Ann"]}]}
    flag = {"resourceType": "Flag", "id": "f1", "status": "active", "code": {"text": "Fall risk"},
            "subject": {"reference": "Patient/p1"}}
    task = {"resourceType": "Task", "id": "t1", "status": "requested", "intent": "order",
            "focus": {"reference": "Location/b1"}}
    for read, resource in ((lambda r, **k: read_location(r, **k), location),
                           (lambda r, **k: read_patient(r, "urn:mrn", **k), patient),
                           (lambda r, **k: read_flag(r, **k), flag),
                           (lambda r, **k: read_task(r, **k), task)):
        assert read(resource).modifier is False
        assert read(resource, modifier_free=True).modifier is False
        assert read({**resource, "modifierExtension": json.loads(MODIFIER)}).modifier is True


def payload(encounter: str) -> str:
    unit = '{"resourceType": "Location", "id": "u1", "name": "4 West", "physicalType": {"coding": [{"code": "wa"}]}}'
    return ('{"unit_id": "u1", "locations": [' + unit + '], "encounters": [' + encounter + '], "patients": [], '
            '"practitioners": [], "flags": [], "tasks": [], "fetched_at": "2026-11-29T06:00:00+00:00", '
            '"incomplete": []}')


@pytest.mark.parametrize("key", ['"modifierExtension"', ESCAPED_M, ESCAPED_ALL, ESCAPED_UPPER, ESCAPED_E])
def test_a_kept_census_whose_text_spells_a_modifier_is_walked(key: str) -> None:
    source = CensusSource.from_payload(payload(encounter_text(key)))
    assert source.modifier_free == frozenset()
    census = assemble(source, IDENTIFIERS)
    assert census.encounters[0].modifier


def test_a_kept_census_that_cannot_spell_one_is_not_walked() -> None:
    source = CensusSource.from_payload(payload(encounter_text().replace('"e1"', '"e1", "text": "Gar\\u00e7on"')))
    assert source.modifier_free == GROUPS
    census = assemble(source, IDENTIFIERS)
    assert not census.encounters[0].modifier
    assert source.fetched_at == datetime(2026, 11, 29, 6, tzinfo=UTC)


def test_every_escape_that_decodes_to_an_ascii_character_counts() -> None:
    for code in range(0x80):
        for escape in (f"\\u{code:04x}", f"\\u{code:04X}"):
            assert json.loads(f'"{escape}"') == chr(code)
            assert may_carry_modifier(f'{{"a": "{escape}"}}'.encode())
    for code in (0x80, 0xE9, 0x141, 0x1EC5, 0xFFFD):
        assert not may_carry_modifier(f'{{"a": "\\u{code:04x}"}}'.encode())
