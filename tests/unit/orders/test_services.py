"""Orders' logic without a server: the form's checks and the read-back sentence, what each server allows
(the published Epic and Oracle Health statements), the transaction's shape, and the lists' order and
colours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from kiosk.auth import Role
from kiosk.auth.services import StaffMember
from kiosk.config import load_settings
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.orders import (
    CosignRecord,
    NewOrder,
    OrderRecord,
    OrderSet,
    Systems,
    cosign_change,
    disagree_change,
    disagreement_words,
    discontinue_change,
    is_disagreement,
    order_change,
    read_cosign,
    read_order,
)
from kiosk.fhir.records import PatientRecord, PersonName
from kiosk.orders.services import (
    OrderChoices,
    OrderContext,
    Provider,
    Refused,
    check,
    due_state,
    entry_mode,
    group_of,
    unit_rows,
)
from kiosk.orders.settings import ORDERS_FILE

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "capability"
SYS = Systems("urn:oid:1.2.3", "urn:oid:1.2.3.20", "urn:oid:1.2.3.21")
SECRETARY = StaffMember(1, "100001", "Dana Reyes", Role.UNIT_SECRETARY, None)
SOFIA = PatientRecord("p1", PersonName("Ramírez", ("Sofía",)), date(1997, 3, 12), "female", "20000031")


@pytest.fixture(scope="module")
def settings():  # type: ignore[no-untyped-def]
    return ORDERS_FILE.read(load_settings(env={"KIOSK_WEB_SECRET_KEY": "x"}), env={})


def _ctx() -> OrderContext:
    return OrderContext(SOFIA, "p1", "e1", "unit1", [Provider("Practitioner/iyer", "Dr. Iyer", "Attending",
                                                              "Priya Iyer")])


def _choices(**changes: object) -> OrderChoices:
    base = dict(number="OR-0123456789", item="57021-8", mode="PC", provider="Practitioner/iyer", priority="stat",
                when="now", at="", days="", reason="", note="")
    return OrderChoices(**{**base, **changes})  # type: ignore[arg-type]


def _statement(name: str) -> Capabilities:
    files = {"epic": "epic-r4-2026-05.json", "oracle": "oracle-health-millennium-r4.json"}
    return Capabilities.from_statement(json.loads((FIXTURES / files[name]).read_text()))


def test_the_read_back_is_the_whole_order_in_one_sentence(settings) -> None:  # type: ignore[no-untyped-def]
    *_, sentence = check(settings, _ctx(), _choices(), SECRETARY, None, NOW)
    assert sentence == ("CBC with differential, stat, now, blood, lavender top (EDTA), for RAMÍREZ, Sofía, born "
                        "12 Mar 1997, MRN 20000031, ordered by telephone by Dr. Iyer")
    *_, daily = check(settings, _ctx(), _choices(item="vitals-q4h", mode="VO", priority="", when="daily", days="3"),
                      SECRETARY, None, NOW)
    assert daily.startswith("Vital signs every 4 hours, routine, daily for 3 days, for RAMÍREZ")
    assert daily.endswith("ordered verbally by Dr. Iyer")


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"item": "aspirin"}, "item", "Choose what to order"),
    ({"mode": "EL"}, "mode", "Choose how the order was given"),
    ({"provider": "Practitioner/elsewhere"}, "provider", "Choose the provider"),
    ({"priority": "whenever"}, "priority", "Choose the priority"),
    ({"when": "daily", "days": "40"}, "days", "number of days (1 to 14)"),
    ({"when": "at", "at": "yesterday"}, "at", "Choose the time"),
    ({"item": "xr-chest-portable"}, "d_reason", "Reason for the study: needed for imaging orders"),
    ({"item": "diet-cardiac", "details": {"texture": "Crunchy"}}, "d_texture", "choose one of the options"),
])
def test_what_the_form_offered_is_checked(settings, changes: dict[str, object], field: str,  # type: ignore[no-untyped-def]
                                          words: str) -> None:
    with pytest.raises(Refused) as refused:
        check(settings, _ctx(), _choices(**changes), SECRETARY, None, NOW)
    assert refused.value.field == field and words in refused.value.message


def test_a_role_that_enters_no_orders_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    nurse = StaffMember(2, "100005", "Grace Lambert", Role.TRANSPORTER, None)
    with pytest.raises(Refused, match="does not enter orders here"):
        check(settings, _ctx(), _choices(), nurse, None, NOW)


def test_what_each_server_allows() -> None:
    sekmet_like = Capabilities.from_statement({"rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
                                                         "resource": [
        {"type": t, "interaction": [{"code": "create"}, {"code": "update"}, {"code": "read"}],
         "conditionalCreate": True, "searchParam": [{"name": "identifier", "type": "token"}]}
        for t in ("ServiceRequest", "Provenance", "Task")]}]})
    assert entry_mode(sekmet_like) == entry_mode(sekmet_like, own=True)
    assert entry_mode(sekmet_like).full and entry_mode(sekmet_like).refused is None
    epic = entry_mode(_statement("epic"))
    assert not epic.full and epic.refused is None and "the provider co-signs it in the EHR" in (epic.note or "")
    oracle = entry_mode(_statement("oracle"))
    assert oracle.refused == ("Oracle Health does not allow creating ServiceRequest. Orders can be read here but "
                              "not entered.")


def _new(**changes: object) -> NewOrder:
    base = dict(number="OR-0123456789", patient="Patient/p1", encounter="Encounter/e1", unit_id="unit1",
                category="lab", item_system="http://loinc.org", item_code="57021-8", item_name="CBC",
                priority="stat", mode="PC", provider="Practitioner/iyer", provider_name="Dr. Iyer",
                enterer={"display": "Dana Reyes"}, entered_at=NOW, occurrence={"occurrenceDateTime": "x"},
                accession="A0123456789", read_back="Read back to and confirmed by Dr. Iyer.",
                cosign_due=NOW + timedelta(hours=24))
    return NewOrder(**{**base, **changes})  # type: ignore[arg-type]


def test_the_order_its_record_and_its_co_signature_are_one_transaction_created_once() -> None:
    change = order_change(SYS, _new(), cosign=True, full=True)
    order, provenance, task = (c.resource for c in change.creates)
    first, record, cosign = (unquote(c.if_none_exist or "") for c in change.creates)
    assert first == "identifier=urn:oid:1.2.3.20|OR-0123456789" and record == ""
    assert cosign.startswith("identifier=urn:oid:1.2.3") and cosign.endswith("|order-cosign/OR-0123456789")
    assert provenance["target"][0]["reference"] == change.creates[0].full_url
    assert task["focus"]["reference"] == change.creates[0].full_url
    assert task["restriction"]["period"]["end"] == "2026-11-30T14:00:00Z" and task["owner"]["display"] == "Dr. Iyer"
    assert order["identifier"][1]["type"]["coding"][0]["code"] == "ACSN"
    assert {("Provenance", "create"), ("Task", "conditional-create"), ("", "transaction")} <= set(
        change.interactions())
    own = order_change(SYS, _new(mode="EL", read_back=""), cosign=False, full=True)
    assert [c.resource["resourceType"] for c in own.creates] == ["ServiceRequest", "Provenance"]
    alone = order_change(SYS, _new(), cosign=True, full=False)
    assert [c.interaction for c in alone.creates] == [("ServiceRequest", "create")]


def _records() -> tuple[OrderSet, list[str]]:
    found = OrderSet()
    refs = []
    for n, (priority, hours_ago, due_in) in enumerate((("routine", 3, 30), ("stat", 1, 23), ("routine", 30, -6),
                                                       ("urgent", 20, 2))):
        new = _new(number=f"OR-000000000{n}", priority=priority, entered_at=NOW - timedelta(hours=hours_ago),
                   cosign_due=NOW + timedelta(hours=due_in))
        change = order_change(SYS, new, cosign=True, full=True)
        order = {**change.creates[0].resource, "id": f"o{n}", "meta": {"versionId": "1"}}
        task = {**change.creates[2].resource, "id": f"t{n}", "meta": {"versionId": "1"},
                "focus": {"reference": f"ServiceRequest/o{n}"}}
        found.orders.append(read_order(order, SYS))
        found.cosigns.append(read_cosign(task))
        found.raw.update({f"ServiceRequest/o{n}": order, f"Task/t{n}": task})
        refs.append(f"t{n}")
    return found, refs


def test_the_units_list_puts_todays_stat_first_then_by_due_time_amber_near_red_past(settings) -> None:  # type: ignore[no-untyped-def]
    found, _ = _records()
    rows = unit_rows(found, settings, NOW)
    assert [r.cosign.id for r in rows if r.cosign] == ["t1", "t2", "t3", "t0"]
    assert [r.due_state for r in rows] == ["", "red", "amber", ""]
    assert due_state(None, NOW, 4) == ""


def test_the_patients_groups() -> None:
    order = OrderRecord("o", "1", "active", None, None, "lab", "57021-8", "CBC", "stat", None, None, None, "", None, "",
                        "", (), ())
    waiting = CosignRecord("t", "1", "requested", "ServiceRequest/o", None, None, "", None, "stat", None, "")
    assert group_of(order, waiting) == "cosign"
    assert group_of(order, CosignRecord(**{**waiting.__dict__, "status": "completed"})) == "active"
    assert group_of(OrderRecord(**{**order.__dict__, "status": "revoked"}), None) == "cancelled"
    assert group_of(OrderRecord(**{**order.__dict__, "status": "completed"}), None) == "completed"


def test_co_signing_completes_each_task_with_an_attesting_record_and_discontinue_cancels_the_co_signature() -> None:
    found, refs = _records()
    change = cosign_change(found.raw, [f"Task/{refs[0]}", f"Task/{refs[1]}"], "Practitioner/iyer", "Dr. Iyer", NOW)
    assert [t["status"] for t, _ in change.updates] == ["completed", "completed"]
    assert [p.resource["agent"][0]["type"]["coding"][0]["code"] for p in change.creates] == ["attester", "attester"]
    assert [p.resource["target"][0]["reference"] for p in change.creates] == ["ServiceRequest/o0", "ServiceRequest/o1"]
    stop = discontinue_change(found.raw, "ServiceRequest/o2", "Task/t2", "No longer needed", NOW)
    (order, _), (task, _) = stop.updates
    assert order["status"] == "revoked" and task["status"] == "cancelled"
    assert order["note"][-1]["text"] == "Discontinued: No longer needed"


def test_disagreeing_revokes_the_order_and_codes_the_reason_the_unit_is_found_by() -> None:
    found, refs = _records()
    change = disagree_change(found.raw, f"Task/{refs[0]}", "Wrong patient: call me", SYS, NOW)
    (order, _), (task, _) = change.updates
    assert order["status"] == "revoked"
    assert order["note"][-1]["text"] == "Revoked by the ordering provider: Wrong patient: call me"
    cosign = read_cosign(task)
    assert is_disagreement(cosign, SYS) and disagreement_words(cosign) == "Wrong patient: call me"
    assert cosign.last_modified == NOW
    stop = discontinue_change(found.raw, "ServiceRequest/o2", "Task/t2", "No longer needed", NOW)
    assert not is_disagreement(read_cosign(stop.updates[1][0]), SYS)  # cancelled, but nobody disagreed


def test_a_failed_search_of_the_providers_other_units_leaves_the_units_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.fhir.errors import FhirUnavailable
    from kiosk.orders import services

    unit_list = OrderSet(cosigns=[CosignRecord(id="t1", version="1", status="requested", order=None, patient=None,
                                               owner="Practitioner/iyer", owner_name="Dr. Iyer", due=None,
                                               priority="routine", authored_on=None, description="CBC")])

    def unreachable(*_: object) -> OrderSet:
        raise FhirUnavailable("The FHIR server did not answer in time.")

    monkeypatch.setattr(services, "load_unit", lambda gw, settings: unit_list)
    monkeypatch.setattr(services, "orders_systems", lambda gw, settings: SYS)
    monkeypatch.setattr(services, "awaiting_provider", unreachable)
    signing = services.load_for_signing(object(), object(), "Practitioner/iyer")  # type: ignore[arg-type]
    assert signing.found is unit_list and signing.elsewhere_problem == "The FHIR server did not answer in time."
    assert services.load_for_signing(object(), object(), None).elsewhere_problem is None  # type: ignore[arg-type]
