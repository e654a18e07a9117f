"""A change may create a resource at an id the kiosk chose (update as create) where the server allows it,
and a workflow may declare a resource type a server takes without listing it."""

from __future__ import annotations

import pytest

from kiosk.fhir.capability import Capabilities, ResourceCapability
from kiosk.fhir.change import TRANSACTION, Change, Needs, Undeclared

STATEMENT = {"resourceType": "CapabilityStatement", "software": {"name": "Server", "version": "1"},
             "rest": [{"mode": "server", "interaction": [{"code": "transaction"}], "resource": [
                 {"type": "Basic", "interaction": [{"code": "update"}], "updateCreate": False},
                 {"type": "Flag", "interaction": [{"code": "read"}], "updateCreate": True}]}]}


def test_update_as_create_needs_update_and_update_create() -> None:
    caps = Capabilities.from_statement(STATEMENT)
    assert caps.reason("Basic", "update-create") == "Server 1 does not allow creating Basic at an id the kiosk chooses."
    assert caps.reason("Flag", "update-create") == "Server 1 does not allow updates of Flag."
    assert caps.reason("CareTeam", "update-create") == "Server 1 does not offer CareTeam resources."
    declared = caps.with_resource("CareTeam", ResourceCapability(frozenset({"update"}), frozenset(), False, False,
                                                                 "versioned-update", True))
    assert declared.reason("CareTeam", "update-create") is None and "CareTeam" not in caps.resources


def test_a_change_holds_creates_at_ids_as_declared() -> None:
    change = Change("x", Needs.of(("CareTeam", "update-create"), TRANSACTION))
    change.create_at({"resourceType": "CareTeam", "id": "ct-1", "status": "active"}, name="bed 1's team")
    change.create_at({"resourceType": "CareTeam", "id": "ct-2", "status": "active"})
    assert change.interactions() == [("CareTeam", "update-create"), TRANSACTION]
    assert change.name_of("new#0") == "bed 1's team" and change.creates[1].reference == "CareTeam/ct-2"
    with pytest.raises(ValueError, match="needs the id"):
        change.create_at({"resourceType": "CareTeam", "status": "active"})
    with pytest.raises(Undeclared):
        change.create({"resourceType": "CareTeam", "status": "active"})
