"""Where an item stands, how a reorder is routed on each server, and the SupplyRequest it becomes."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.fhir.capability import Capabilities
from kiosk.fhir.validation import check_for_write
from kiosk.supplies.config import SuppliesConfig, SupplySettings, load_par_levels
from kiosk.supplies.fhir import (
    Channel,
    Targets,
    plan_reorders,
    reorder_id,
    reorder_identifier,
    reorder_route,
    supply_request,
)
from kiosk.supplies.stock import LastCount, StockState, assess
from tests.support.supplies import EPIC, ORACLE, SMALL_PAR

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
SEKMET_LIKE = {"resourceType": "CapabilityStatement", "software": {"name": "SEKMET FHIR R4 Tester", "version": "0.1.0"},
               "rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
                         "resource": [{"type": "Location", "interaction": [{"code": "read"}]}]}]}


def statement(**supply_request: object) -> Capabilities:
    resource = {"type": "SupplyRequest", **supply_request}
    return Capabilities.from_statement({
        "resourceType": "CapabilityStatement", "software": {"name": "Test FHIR"},
        "rest": [{"mode": "server", "interaction": [{"code": "transaction"}], "resource": [resource]}]})


@pytest.fixture
def config(tmp_path: Path) -> SuppliesConfig:
    path = tmp_path / "par.toml"
    path.write_text(SMALL_PAR)
    settings = SupplySettings(source="test", par_levels=path, stale_after=timedelta(hours=12),
                              item_system="urn:oid:1.2.3.8", reorder_system="urn:oid:1.2.3.9",
                              routine_within=timedelta(hours=8), open_reorder_days=3,
                              unlisted_supply_request_servers=("SEKMET FHIR R4 Tester",))
    return SuppliesConfig(settings=settings, par=load_par_levels(path), unit_code="4W")


def counted(quantity: int, hours_ago: float = 1) -> LastCount:
    return LastCount(quantity, NOW - timedelta(hours=hours_ago), "Test Counter")


def test_states_from_the_last_count(config: SuppliesConfig) -> None:
    stock = {s.item.code: s for s in assess(config.par, {
        ("SUPPLY", "100112"): counted(12),      # at the reorder point
        ("SUPPLY", "100410"): counted(0, 13),   # zero, but counted 13 hours ago: stale
        ("SUPPLY", "100802"): counted(9),       # above the point, below par
        ("SUPPLY", "100910"): counted(151),     # above par
        ("CRASH", "300110"): counted(0),
    }, NOW, config.settings.stale_after)}
    assert {code: s.state for code, s in stock.items()} == {
        "100112": StockState.REORDER, "100410": StockState.STALE, "100802": StockState.BELOW_PAR,
        "100910": StockState.AT_PAR, "300110": StockState.ZERO, "300120": StockState.NEVER_COUNTED}
    assert [code for code, s in stock.items() if s.reorder_due] == ["100112", "300110"]
    assert (stock["100112"].reorder_quantity, stock["100112"].priority) == (18, "routine")
    assert (stock["300110"].reorder_quantity, stock["300110"].priority) == (2, "stat")
    assert stock["100410"].count == 0 and not stock["100410"].reorder_due


def test_the_reorder_identifier_and_id_are_the_same_for_the_same_item_and_day() -> None:
    value = reorder_identifier("4W", "SUPPLY", "100112", date(2026, 11, 26))
    assert value == "4W/SUPPLY/100112/2026-11-26"
    rid = reorder_id("urn:oid:1.2.3.9", value)
    assert rid == reorder_id("urn:oid:1.2.3.9", value)
    assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", rid)
    assert rid != reorder_id("urn:oid:1.2.3.9", "4W/SUPPLY/100112/2026-11-27")
    assert rid != reorder_id("urn:oid:9.9.9", value)  # another hospital's kiosk on a shared server


@pytest.mark.parametrize(("caps", "channel", "reason"), [
    (Capabilities.from_statement(json.loads(EPIC.read_text())), None,
     "Epic May 2026 does not offer SupplyRequest resources."),
    (Capabilities.from_statement(json.loads(ORACLE.read_text())), None,
     "Oracle Health does not offer SupplyRequest resources."),
    (Capabilities.from_statement(SEKMET_LIKE), Channel.CLIENT_ID, None),
    (statement(interaction=[{"code": "create"}], conditionalCreate=True, searchParam=[{"name": "identifier"}]),
     Channel.CONDITIONAL_CREATE, None),
    (statement(interaction=[{"code": "create"}, {"code": "update"}, {"code": "search-type"}], updateCreate=True),
     Channel.CLIENT_ID, None),
    (statement(interaction=[{"code": "read"}]), None, "Test FHIR does not allow creating SupplyRequest."),
    (statement(interaction=[{"code": "create"}]), None,
     "Test FHIR allows creating SupplyRequest but neither conditional create on its identifier nor "
     "update-as-create, so a retried check could order twice."),
])
def test_each_server_gets_the_idempotent_way_it_offers(caps: Capabilities, channel: Channel | None,
                                                        reason: str | None) -> None:
    route = reorder_route(caps, ("SEKMET FHIR R4 Tester",))
    assert (route.channel, route.reason) == (channel, reason)


def test_an_unlisted_server_is_trusted_only_when_named(config: SuppliesConfig) -> None:
    caps = Capabilities.from_statement(SEKMET_LIKE)
    assert reorder_route(caps, ()).reason == "SEKMET FHIR R4 Tester 0.1.0 does not offer SupplyRequest resources."
    assert reorder_route(caps, ("SEKMET",)).declared


def test_the_supply_request_is_valid_r4(config: SuppliesConfig) -> None:
    stock = assess(config.par, {("CRASH", "300110"): counted(0), ("SUPPLY", "100112"): counted(3)}, NOW,
                   config.settings.stale_after)
    plans = plan_reorders(config, [s for s in stock if s.reorder_due], NOW.date())
    targets = Targets(unit_name="4 West", requester={"reference": "Organization/1", "display": "RGH"},
                      deliver_to={"SUPPLY": {"reference": "Location/9"},
                                  "CRASH": {"identifier": {"system": "urn:oid:1.2.3.4", "value": "4W-CRASH"}}})
    for plan in plans:
        for with_id in (True, False):
            resource = supply_request(plan, config, targets, NOW, with_id=with_id)
            check_for_write(resource)
            assert ("id" in resource) is with_id
    kits = supply_request(plans[0], config, targets, NOW, with_id=True)
    assert kits["reasonCode"][0]["text"].startswith("Counted 3 each at 2026-11-26")
    assert kits["reasonCode"][0]["text"].endswith("in Supply room; reorder point 12, par 30")
    assert kits["quantity"] == {"value": 27, "unit": "each"}
