"""The supply check against a real sekmet-fhir server: the right SupplyRequests with the right
quantities, nothing more on a rerun, nothing for an item back at par, stale counts reported, and a
server that does not take SupplyRequests (Epic, Oracle Health) or is down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from kiosk.audit.chain import verify
from kiosk.audit.models import AuditRecord
from kiosk.audit.services import AuditQuery, search
from kiosk.fhir.client import FhirClient, count_requests
from kiosk.fhir.errors import FhirError
from kiosk.supplies.check import CheckReport
from kiosk.supplies.fhir import read_by_ids, reorder_id, reorder_identifier
from kiosk.supplies.models import CheckOutcome, SupplyCheck, SupplyReorder
from tests.support.fhir_faults import LosesTheWriteAnswer, ThenDown
from tests.support.sekmet import free_port
from tests.support.supplies import EPIC, ORACLE, SupplyUnit, inject_capabilities

#: The checks' clock: noon today on this machine's clock, so that an hour later is still the same day
#: whenever the suite runs.
NOW = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0).astimezone(UTC)
#: The server stamps what it stores with its own (real) clock: everything these tests write is newer.
SERVER_SINCE = datetime.now(UTC) - timedelta(minutes=5)


def count_the_unit(s: SupplyUnit, at: datetime = NOW) -> None:
    """IV kits below reorder point, defib pads at zero, gloves just above the point, gowns at par,
    flushes counted two days ago at zero (stale), the bag-valve-mask never counted."""
    s.count("SUPPLY", {"100112": 5, "100802": 9, "100910": 150}, at=at)
    s.count("SUPPLY", {"100410": 0}, at=at - timedelta(days=2))
    s.count("CRASH", {"300110": 0}, at=at)


def unit_requests(s: SupplyUnit, since: datetime) -> list[dict]:
    """Every SupplyRequest this unit has on the server (checked by its identifiers, whatever the ids)."""
    found = s.gateway.client.search("SupplyRequest", [("_lastUpdated", f"ge{since.isoformat()}")])
    prefix = f"{s.config.unit_code}/"
    return [r for r in found.matches
            if any(i.get("value", "").startswith(prefix) for i in r.get("identifier", []))]


def test_a_check_reorders_what_is_at_or_below_its_reorder_point_back_to_par(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    count_the_unit(s)
    report = s.check(NOW)

    assert report.outcome == CheckOutcome.SENT
    assert [(p.stock.item.code, p.quantity, p.priority) for p in report.plans] == [
        ("100112", 25, "routine"), ("300110", 2, "stat")]
    assert [x.result for x in report.sent] == ["created", "created"]
    on_server = s.supply_requests(report)
    kit = on_server[reorder_id(s.config.settings.reorder_system,
                               reorder_identifier(s.unit.value, "SUPPLY", "100112", NOW.astimezone().date()))]
    day = NOW.astimezone().date().isoformat()
    assert kit["identifier"] == [{"system": "urn:oid:2.16.840.1.113883.3.9999.9",
                                  "value": f"{s.unit.value}/SUPPLY/100112/{day}"}]
    assert kit["status"] == "active" and kit["priority"] == "routine"
    assert kit["quantity"] == {"value": 25, "unit": "each"}
    assert kit["itemCodeableConcept"]["coding"] == [
        {"system": "urn:oid:2.16.840.1.113883.3.9999.8", "code": "100112", "display": "IV start kit"}]
    assert kit["category"]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/supply-kind",
                                            "code": "central", "display": "Central Supply"}
    # Supply locations are not registered on the server: a logical reference by identifier.
    assert kit["deliverTo"]["identifier"] == {"system": s.settings.identifiers.location,
                                              "value": f"{s.unit.value}-SUPPLY"}
    assert kit["deliverTo"]["display"].startswith("Supply room, Test Unit")
    # Requested on the unit's behalf by the Organization managing its hospital site.
    assert kit["requester"]["reference"].startswith("Organization/")
    assert kit["requester"]["display"] == "Riverside General Hospital"
    assert kit["authoredOn"] == NOW.isoformat().replace("+00:00", "Z")
    assert kit["occurrenceDateTime"] == (NOW + timedelta(hours=8)).isoformat().replace("+00:00", "Z")
    pads = next(r for r in on_server.values() if r["itemCodeableConcept"]["coding"][0]["code"] == "300110")
    assert pads["priority"] == "stat" and pads["quantity"] == {"value": 2, "unit": "pair"}
    assert pads["occurrenceDateTime"] == pads["authoredOn"]
    assert pads["deliverTo"]["identifier"]["value"] == f"{s.unit.value}-CRASH"

    assert report.summary == ("Checked 6 items: 2 at or below reorder point; 2 reorders sent; "
                              "not reordered: 1 with a stale count, 1 never counted.")


def test_a_stale_count_is_reported_not_guessed(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    count_the_unit(s)
    report = s.check(NOW)
    assert "100410" not in [p.stock.item.code for p in report.plans]
    with s.database.session() as session:
        detail = json.loads(session.get(SupplyCheck, report.check_id).detail)
    flushes = next(d for d in detail if d["item"] == "100410")
    assert flushes == {"location": "SUPPLY", "item": "100410", "count": 0, "state": "stale", "action": "reported"}
    never = next(d for d in detail if d["item"] == "300120")
    assert never["state"] == "never-counted" and never["action"] == "reported"


def test_running_the_check_again_the_same_day_creates_nothing_more(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    count_the_unit(s)
    first = s.check(NOW)
    versions = {i: r["meta"]["versionId"] for i, r in s.supply_requests(first).items()}
    # A count later in the day: the kits are lower still; the check is run again (a retry, a second shift).
    s.count("SUPPLY", {"100112": 2}, at=NOW + timedelta(hours=1))
    with count_requests() as counter:
        second = s.check(NOW + timedelta(hours=1))
    assert counter.by_kind == {"search SupplyRequest": 1}  # one _id read finds both; nothing is written
    assert [x.result for x in second.sent] == ["existing", "existing"]
    assert second.summary.startswith("Checked 6 items: 2 at or below reorder point; 0 reorders sent, 2 already")
    # Nothing was overwritten and nothing new was made.
    assert {i: r["meta"]["versionId"] for i, r in s.supply_requests(second).items()} == versions
    assert len(unit_requests(s, SERVER_SINCE)) == 2


def test_an_item_back_at_par_is_not_reordered(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    count_the_unit(s)
    s.check(NOW)
    tomorrow = NOW + timedelta(days=1)
    # Restocked: the kits are back at par; the pads are still out.
    s.count("SUPPLY", {"100112": 30, "100802": 20, "100910": 140, "100410": 190}, at=tomorrow)
    s.count("CRASH", {"300110": 0, "300120": 2}, at=tomorrow)
    report = s.check(tomorrow)
    assert [(p.stock.item.code, p.quantity) for p in report.plans] == [("300110", 2)]
    assert [x.result for x in report.sent] == ["created"]
    assert report.summary == "Checked 6 items: 1 at or below reorder point; 1 reorder sent."
    requests = unit_requests(s, SERVER_SINCE)
    assert sorted(r["identifier"][0]["value"].split("/", 1)[1] for r in requests) == sorted([
        f"SUPPLY/100112/{NOW.astimezone().date()}", f"CRASH/300110/{NOW.astimezone().date()}",
        f"CRASH/300110/{tomorrow.astimezone().date()}"])


def test_nothing_due_sends_nothing_and_asks_the_server_nothing(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    s.count("CRASH", {"300110": 2, "300120": 2})
    with count_requests() as counter:
        report = s.check()
    assert report.outcome == CheckOutcome.NOTHING_DUE and counter.total == 0
    assert report.summary == "Checked 6 items: none at or below reorder point; not reordered: 4 never counted."


def test_a_check_costs_the_same_requests_for_one_item_or_all(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    s.gateway.capabilities  # noqa: B018  (read once, as a running scheduler has)
    s.gateway.unit_location_id()
    s.count("CRASH", {"300110": 0})
    with count_requests() as one:
        s.check()
    s.count("SUPPLY", {"100112": 0, "100410": 0, "100802": 0, "100910": 0})
    s.count("CRASH", {"300120": 0})
    with count_requests() as six:
        report = s.check()
    assert len(report.plans) == 6
    assert one.total == six.total == 4
    assert six.by_kind == {"search Location": 2, "search SupplyRequest": 1, "transaction": 1}


def test_a_supply_location_the_hospital_registered_is_referenced_literally(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    unit_id = s.gateway.unit_location_id()
    cart = s.gateway.client.create({
        "resourceType": "Location", "status": "active", "mode": "instance", "name": "Crash cart",
        "identifier": [{"system": s.settings.identifiers.location, "value": f"{s.unit.value}-CRASH"}],
        "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                                     "code": "ca"}]},
        "partOf": {"reference": f"Location/{unit_id}"},
    })
    s.count("CRASH", {"300110": 0})
    report = s.check()
    pads = next(iter(s.supply_requests(report).values()))
    assert pads["deliverTo"]["reference"] == f"Location/{cart.id}"


@pytest.mark.parametrize(("statement", "reason"), [
    (EPIC, "Epic May 2026 does not offer SupplyRequest resources."),
    (ORACLE, "Oracle Health does not offer SupplyRequest resources."),
])
def test_a_server_that_does_not_take_supply_requests_gets_a_report_instead(supply_unit: SupplyUnit, statement,
                                                                          reason: str) -> None:
    s = supply_unit
    inject_capabilities(s.gateway, statement)
    count_the_unit(s)
    with count_requests() as counter:
        report = s.check(NOW)
    assert counter.total == 0  # the kiosk did not try
    assert report.outcome == CheckOutcome.NOT_SENT and report.problem == reason
    assert report.summary == (f"Checked 6 items: 2 at or below reorder point; reorders not sent: {reason[:-1]}; "
                              "not reordered: 1 with a stale count, 1 never counted.")
    with s.database.session() as session:
        rows = session.query(SupplyReorder).filter_by(check_id=report.check_id).all()
        assert sorted((r.item_code, r.quantity, r.result, r.fhir_id) for r in rows) == [
            ("100112", 25, "not-sent", None), ("300110", 2, "not-sent", None)]


def test_a_server_that_is_down_fails_the_check_and_the_next_one_sends(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    s.gateway.capabilities  # noqa: B018
    s.gateway.unit_location_id()
    live = s.gateway.client
    s.gateway.client = FhirClient(f"http://127.0.0.1:{free_port()}/fhir", read_retries=0)
    count_the_unit(s)
    down = s.check(NOW)
    assert down.outcome == CheckOutcome.FAILED and "cannot be reached" in (down.problem or "")
    assert "reorders not sent: The FHIR server at 127.0.0.1" in down.summary
    s.gateway.client.close()
    s.gateway.client = live
    again = s.check(NOW)
    assert again.outcome == CheckOutcome.SENT and [x.result for x in again.sent] == ["created", "created"]


def test_if_none_exist_on_supply_request_identifier_is_refused_by_sekmet(supply_unit: SupplyUnit) -> None:
    """The evidence for docs/decisions.md: DESIGN.md's conditional create does not work on this server."""
    s = supply_unit
    resource = {"resourceType": "SupplyRequest", "status": "active", "quantity": {"value": 1},
                "itemCodeableConcept": {"text": "probe"},
                "identifier": [{"system": s.config.settings.reorder_system, "value": "probe"}]}
    with pytest.raises(FhirError) as refused:
        s.gateway.client.create(resource, if_none_exist=f"identifier={s.config.settings.reorder_system}|probe")
    assert refused.value.status == 400
    assert "Unknown search parameter 'identifier' for SupplyRequest" in refused.value.message
    assert "SupplyRequest" not in s.gateway.capabilities.resources


def audit_rows(s: SupplyUnit) -> list[AuditRecord]:
    with s.database.session() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.chain_seq)))


def chain_intact(s: SupplyUnit) -> bool:
    with s.database.session() as session:
        return verify(session).ok


def test_each_reorder_is_audited_as_an_intent_before_its_write_and_an_outcome_after(supply_unit: SupplyUnit) -> None:
    s = supply_unit
    count_the_unit(s)
    report = s.check(NOW)
    s.check(NOW)  # the rerun writes nothing, so it audits only the check
    rows = audit_rows(s)
    intents = [r for r in rows if r.action == "fhir-write" and r.outcome == "pending"]
    outcomes = {r.intent_id: r for r in rows if r.action == "fhir-write" and r.intent_id is not None}
    assert sorted(r.entity for r in intents) == sorted(f"SupplyRequest/{x.fhir_id}" for x in report.sent)
    assert all(r.actor_name == "kiosk system" and r.detail.startswith(f"reorder {s.unit.value}/") for r in intents)
    for intent in intents:
        closing = outcomes[intent.id]
        assert closing.chain_seq > intent.chain_seq
        assert (closing.outcome, closing.entity) == ("success", intent.entity)
        assert closing.detail == f"{intent.detail}: created"
    assert len(outcomes) == len(intents) == 2
    checks = [r for r in rows if r.action == "supply-check"]
    assert len(checks) == 2 and checks[0].detail == f"check #{report.check_id} (schedule): {report.summary}"
    assert chain_intact(s)


def lose_the_write_answer(s: SupplyUnit, applied: bool, then_down: bool = False
                          ) -> tuple[CheckReport, list[list[tuple[str, str | None, str | None]]]]:
    """Run the check on a server that loses the answer to its write (after writing it when `applied`); with
    `then_down`, the server cannot be reached for anything after that write. Returns the report and the
    audit rows as they stood when the write arrived."""
    s.gateway.capabilities  # noqa: B018  (read once, as a running scheduler has)
    s.gateway.unit_location_id()
    count_the_unit(s)
    at_the_write: list[list[tuple[str, str | None, str | None]]] = []

    def look(_request: httpx.Request) -> None:
        at_the_write.append([(r.action, r.outcome, r.entity) for r in audit_rows(s)])

    live = s.gateway.client
    loses = LosesTheWriteAnswer(live.base_url, look, applied=applied)
    transport: httpx.BaseTransport = ThenDown(loses, at_the_write) if then_down else loses
    s.gateway.client = FhirClient(live.base_url, transport=transport, read_retries=0)
    report = s.check(NOW)
    s.gateway.client.close()
    s.gateway.client = live
    return report, at_the_write


def stored_results(s: SupplyUnit, report: CheckReport) -> list[tuple[str, str, str | None]]:
    with s.database.session() as session:
        rows = session.query(SupplyReorder).filter_by(check_id=report.check_id).all()
        return sorted((r.item_code, r.result, r.fhir_id) for r in rows)


@pytest.mark.parametrize("applied", [False, True], ids=["hangs-unwritten", "written-answer-lost"])
def test_a_reorder_write_that_gets_no_answer_was_audited_before_it_was_sent(supply_unit: SupplyUnit,
                                                                            applied: bool) -> None:
    """The write is audited before it leaves; its lost answer is settled by one read of the server, and the
    check reports what the server holds: both reorders there, or neither (then, and only then, "not sent")."""
    s = supply_unit
    with count_requests() as counter:
        report, at_the_write = lose_the_write_answer(s, applied)
    planned = sorted(f"SupplyRequest/{p.resource_id}" for p in report.plans)
    # When the write reached the server, both reorders' intents were committed, and nothing else yet.
    [seen] = at_the_write
    assert sorted(entity for _, _, entity in seen) == planned
    assert {(action, outcome) for action, outcome, _ in seen} == {("fhir-write", "pending")}
    # The ids read before writing, the write, and one read after it: no more.
    assert (counter.by_kind["search SupplyRequest"], counter.by_kind["transaction"]) == (2, 1)
    on_server = read_by_ids(s.gateway, [p.resource_id for p in report.plans])
    assert len(on_server) == (2 if applied else 0)
    rows = audit_rows(s)
    closing = [r for r in rows if r.intent_id is not None]
    ids = sorted(p.resource_id for p in report.plans)
    if applied:
        assert report.outcome == CheckOutcome.SENT and report.problem is None
        assert report.summary == ("Checked 6 items: 2 at or below reorder point; 2 on the server (read again after "
                                  "the server's answer was lost); not reordered: 1 with a stale count, 1 never "
                                  "counted.")
        assert [(r.outcome, r.detail.rpartition(": ")[2]) for r in closing] == \
            [("success", "on the server, read again after the answer was lost")] * 2
        assert sorted(fhir_id or "" for _, _, fhir_id in stored_results(s, report)) == ids
        assert {result for _, result, _ in stored_results(s, report)} == {"found"}
    else:
        assert report.outcome == CheckOutcome.FAILED and "did not confirm" in (report.problem or "")
        assert report.summary.startswith("Checked 6 items: 2 at or below reorder point; reorders not sent: ")
        assert [r.outcome for r in closing] == ["failure", "failure"]
        assert all("not on the server, read again after" in r.detail for r in closing)
        assert stored_results(s, report) == [("100112", "failed", None), ("300110", "failed", None)]
    with s.database.session() as session:
        lines = [line for line in search(session, AuditQuery()) if line.action == "fhir-write"]
    assert sorted(line.entity for line in lines) == planned
    assert chain_intact(s)


def test_a_lost_answer_the_server_cannot_be_asked_about_is_reported_as_not_known(supply_unit: SupplyUnit) -> None:
    """The write's answer is lost and the server cannot be read again: the check does not say "not sent"
    (the write may be on the server: here it is); it says it does not know, and the next check finds it."""
    s = supply_unit
    report, _ = lose_the_write_answer(s, applied=True, then_down=True)
    assert report.outcome == CheckOutcome.UNKNOWN
    assert report.summary == ("Checked 6 items: 2 at or below reorder point; not known whether the reorders were "
                              f"sent ({(report.problem or '').rstrip('.')}); the next check looks; not reordered: "
                              "1 with a stale count, 1 never counted.")
    assert "not sent" not in report.summary
    assert stored_results(s, report) == [("100112", "unknown", None), ("300110", "unknown", None)]
    closing = [r for r in audit_rows(s) if r.intent_id is not None]
    assert [r.outcome for r in closing] == ["unknown", "unknown"]
    assert [json.loads(r.detail)[0]["action"] for r in [last_check_row(s)]] == ["unknown"]
    with s.database.session() as session:
        lines = [line for line in search(session, AuditQuery()) if line.action == "fhir-write"]
    assert {line.outcome_words for line in lines} == {"no answer: check the record"}

    # The next check looks: both reorders are on the server, nothing is written twice.
    again = s.check(NOW)
    assert again.outcome == CheckOutcome.SENT and [x.result for x in again.sent] == ["existing", "existing"]
    assert len(unit_requests(s, SERVER_SINCE)) == 2
    assert chain_intact(s)


def last_check_row(s: SupplyUnit) -> SupplyCheck:
    with s.database.session() as session:
        row = session.scalars(select(SupplyCheck).order_by(SupplyCheck.id.desc())).first()
        assert row is not None
        return row
