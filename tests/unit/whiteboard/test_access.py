"""How each server gives and takes care teams, from its CapabilityStatement (and the settings' list of
servers that take CareTeam without listing it)."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import Change, Undeclared
from kiosk.whiteboard.fhir import ReadRoute, WriteRoute, team_access
from tests.support.beds import vendor_statement

SEKMET_NAME = "SEKMET FHIR R4 Tester"


def statement(software: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "CapabilityStatement", "software": {"name": software, "version": "0.1.0"},
            "rest": [{"mode": "server", "interaction": [{"code": "transaction"}, {"code": "batch"}],
                      "resource": resources}]}


def care_team(conditional: bool) -> dict[str, Any]:
    return {"type": "CareTeam", "interaction": [{"code": c} for c in ("read", "search-type", "update", "create")],
            "conditionalCreate": conditional, "updateCreate": False,
            "searchParam": [{"name": n} for n in ("encounter", "identifier", "status")]}


def test_sekmet_reads_by_id_and_writes_at_ids_made_from_identifiers() -> None:
    caps = Capabilities.from_statement(statement(SEKMET_NAME, [{"type": "Encounter", "interaction": []}]))
    access = team_access(caps, (SEKMET_NAME,))
    assert (access.read, access.write, access.declared) == (ReadRoute.BY_ID, WriteRoute.CLIENT_ID, True)
    assert access.caps.reason("CareTeam", "update-create") is None
    assert caps.reason("CareTeam", "update-create") == "SEKMET FHIR R4 Tester 0.1.0 does not offer CareTeam resources."
    not_named = team_access(caps, ())
    assert not_named.read is None and not_named.write is None
    assert not_named.write_reason == "Reading care teams needs CareTeam search, which SEKMET FHIR R4 Tester 0.1.0 " \
                                     "does not offer."


def test_a_server_with_conditional_create_gets_if_none_exist_and_reads_by_encounter() -> None:
    caps = Capabilities.from_statement(statement("HAPI FHIR", [care_team(conditional=True)]))
    access = team_access(caps, (SEKMET_NAME,))
    assert (access.read, access.write, access.declared) == (ReadRoute.BY_ENCOUNTER, WriteRoute.CONDITIONAL_CREATE,
                                                            False)
    change = Change("assign-shift", access.needs)
    change.create({"resourceType": "CareTeam", "status": "active"}, if_none_exist="identifier=a|b")
    with pytest.raises(Undeclared):  # an update as create is not what this server was offered
        change.create_at({"resourceType": "CareTeam", "id": "ct-1", "status": "active"})
    without = team_access(Capabilities.from_statement(statement("Other", [care_team(conditional=False)])), ())
    assert without.write is None
    assert without.write_reason == "Other 0.1.0 does not allow creating CareTeam only if none exists yet."


def test_epic_and_oracle_health_read_care_teams_by_encounter_and_take_no_assignments() -> None:
    for name, software in (("epic", "Epic May 2026"), ("oracle", "Oracle Health")):
        caps = Capabilities.from_statement(vendor_statement(name))
        access = team_access(caps, (SEKMET_NAME,))
        assert access.read is ReadRoute.BY_ENCOUNTER and access.write is None and not access.declared
        assert access.write_reason is not None and access.write_reason.startswith(software)
        assert access.write_reason.endswith("does not allow updates of CareTeam.")
