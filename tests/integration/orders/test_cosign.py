"""The provider's co-signature on the real FHIR server: several signed at once in one transaction,
another provider's order refused, disagreeing revokes the order and tells the unit until someone marks it
seen, and discontinuing from a stale version is a conflict that writes nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from werkzeug.test import TestResponse

from kiosk.auth import Role
from kiosk.extensions import database, settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.orders import CosignRecord
from kiosk.orders.disagreements import unit_disagreements
from kiosk.orders.jobs import count_cosignatures
from kiosk.orders.settings import ORDERS_FILE
from kiosk.scheduler.context import JobContext
from kiosk.settings_files import settings_of
from tests.support.auth import csrf_token, page_token, sign_in_client
from tests.support.beds import audit_rows, unit_env
from tests.support.orders import (
    COSIGN_LIST_REQUESTS,
    PATIENT_ORDERS_REQUESTS,
    PROVIDER_COSIGN_LIST_REQUESTS,
    OrdersUnit,
    Stay,
    link_provider,
    order_form,
    own_provider,
    send_order,
)
from tests.support.outage_proxy import OutageProxy
from tests.support.sekmet import SekmetServer


def _practitioner(unit: OrdersUnit, ident: str) -> str:
    found = unit.gw.client.search("Practitioner", [("identifier", f"{unit.gw.identifiers.practitioner}|{ident}")])
    return f"Practitioner/{found.matches[0]['id']}"


def _enter(unit: OrdersUnit, stay: Stay, provider: str, item: str) -> None:
    client = unit.client()
    _, number = order_form(client, stay)
    response = send_order(client, stay, number, provider=provider, item=item, read_back="y")
    assert response.status_code == 200, re.findall(r'notice-text">(.*?)<', response.get_data(as_text=True))


def _seen(html: str, form_action: str) -> str:
    form = html.split(f'action="{form_action}"', 1)[1]
    found = re.search(r'name="seen" value="([^"]*)"', form)
    assert found, form[:1000]
    return found.group(1)


def test_a_provider_signs_two_orders_at_once_and_cannot_sign_another_providers(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    mine, other = own_provider(unit.gw, unit.app), _practitioner(unit, "P1002")
    _enter(unit, stay, mine, "57021-8")
    _enter(unit, stay, mine, "51990-0")
    _enter(unit, stay, other, "24356-8")
    found = unit.orders(stay)
    by_owner = {c.id: c.owner for c in found.cosigns}
    my_tasks = [t for t, o in by_owner.items() if o == mine]
    [their_task] = [t for t, o in by_owner.items() if o == other]

    desk = unit.client()
    desk.get("/beds/board", headers={"HX-Request": "true"})  # the unit's census kept, as its screens keep it
    listed = desk.get("/orders/cosign")
    secretary = listed.get_data(as_text=True)
    assert secretary.count('class="order-row') == 3 and 'name="tasks"' not in secretary
    assert listed.headers["X-FHIR-Requests"] == COSIGN_LIST_REQUESTS
    desk.get(stay.base)
    assert desk.get(stay.base).headers["X-FHIR-Requests"] == PATIENT_ORDERS_REQUESTS

    provider = unit.client(Role.PROVIDER)
    page = provider.get("/orders/cosign").get_data(as_text=True)
    assert "2 of these are yours to co-sign" in page and page.count('name="tasks"') == 2
    seen = _seen(page, "/orders/cosign")
    refused = provider.post("/orders/cosign", data={"csrf_token": csrf_token(page), "seen": seen,
                                                    "tasks": [my_tasks[0], their_task]})
    assert refused.status_code == 403 and "You can only co-sign orders given in your name" in refused.get_data(
        as_text=True)
    assert {c.status for c in unit.orders(stay).cosigns} == {"requested"}

    signed = provider.post("/orders/cosign", data={"csrf_token": csrf_token(page), "seen": seen, "tasks": my_tasks})
    assert signed.status_code == 200 and "2 orders co-signed." in signed.get_data(as_text=True)
    after = unit.orders(stay)
    assert {c.id: c.status for c in after.cosigns} == {**dict.fromkeys(my_tasks, "completed"), their_task: "requested"}
    signed_orders = sorted(c.order or "" for c in after.cosigns if c.status == "completed")
    records = unit.gw.client.search("Provenance", [("target", ",".join(signed_orders))]).matches
    attested = [p for p in records if p["agent"][0]["type"]["coding"][0]["code"] == "attester"]
    assert sorted(p["target"][0]["reference"] for p in attested) == signed_orders
    assert all(p["agent"][0]["who"]["reference"] == mine for p in attested)
    assert "1 of these is yours" not in provider.get("/orders/cosign").get_data(as_text=True)


def _entered_and_refused(unit: OrdersUnit, reason: str) -> tuple[Stay, CosignRecord, TestResponse]:
    """An order entered for the test's own provider, who then disagrees with it on the co-signature page."""
    stay = unit.stays()[0]
    _enter(unit, stay, own_provider(unit.gw, unit.app), "10839-9")
    [cosign] = unit.orders(stay).cosigns
    provider = unit.client(Role.PROVIDER)
    page = provider.get("/orders/cosign").get_data(as_text=True)
    action = f"/orders/cosign/{cosign.id}/disagree"
    return stay, cosign, provider.post(action, data={"csrf_token": csrf_token(page), "seen": _seen(page, action),
                                                     "reason": reason})


def test_a_provider_who_disagrees_revokes_the_order(orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay, _, response = _entered_and_refused(unit, "Not what I asked for")
    assert response.status_code == 200 and "is revoked" in response.get_data(as_text=True)
    found = unit.orders(stay)
    assert found.orders[0].status == "revoked" and found.cosigns[0].status == "cancelled"
    assert "Revoked by the ordering provider: Not what I asked for" in found.orders[0].notes
    unit_page = unit.client().get(stay.base).get_data(as_text=True)
    assert "Revoked by the ordering provider: Not what I asked for" in unit_page


def _home_says(unit: OrdersUnit) -> str:
    return unit.client().get("/orders/home").get_data(as_text=True)


def _counted_elsewhere(unit: OrdersUnit, make_app: Callable[..., Flask]) -> str:
    """The co-signature job run by another station of the unit (its own database), then its home panel."""
    other = make_app(**unit_env(unit.ref))
    with other.app_context():
        line = count_cosignatures(JobContext(settings=settings(), database=database(), gateway=unit.gw,
                                             log=logging.getLogger("test"), clock=lambda: datetime.now(UTC)))
    assert line.endswith(", 1 disagreement not yet seen"), line
    return sign_in_client(other.test_client()).get("/orders/home").get_data(as_text=True)


def test_the_unit_is_told_when_a_provider_disagrees_until_someone_marks_it_seen(
        orders_unit: Callable[..., OrdersUnit], make_app: Callable[..., Flask]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    mine = own_provider(unit.gw, unit.app)
    _enter(unit, stay, mine, "10839-9")
    [refused_cosign] = unit.orders(stay).cosigns
    _enter(unit, stay, mine, "57021-8")
    [discontinued_cosign] = [c for c in unit.orders(stay).cosigns if c.id != refused_cosign.id]
    desk = unit.client()
    page = desk.get(stay.base).get_data(as_text=True)
    action = f"{stay.base}/orders/{(discontinued_cosign.order or '').split('/')[1]}/discontinue"
    stop = desk.post(action, data={"csrf_token": csrf_token(page), "seen": _seen(page, action),
                                   "reason": "No longer needed"})
    assert stop.status_code == 200, stop.get_data(as_text=True)[:500]

    provider = unit.client(Role.PROVIDER)
    page = provider.get("/orders/cosign").get_data(as_text=True)
    action = f"/orders/cosign/{refused_cosign.id}/disagree"
    reason = "Wrong patient <check> & call me"
    answer = provider.post(action, data={"csrf_token": csrf_token(page), "seen": _seen(page, action), "reason": reason})
    assert answer.status_code == 200 and "its unit is told" in answer.get_data(as_text=True)
    assert "1 order was revoked: the provider disagreed" in _home_says(unit)

    # Another station (the disagreement was not made there) learns it from the co-signature job's search.
    assert "1 order was revoked: the provider disagreed" in _counted_elsewhere(unit, make_app)

    listed = desk.get("/orders/cosign")
    html = listed.get_data(as_text=True)
    assert listed.headers["X-FHIR-Requests"] == COSIGN_LIST_REQUESTS
    assert html.count('class="order-row disagreement is-unseen"') == 1
    assert "disagrees:</strong> Wrong patient &lt;check&gt; &amp; call me" in html
    assert discontinued_cosign.id not in html  # discontinued on the unit: nobody disagreed
    seen_action = f"/orders/disagreements/{refused_cosign.id}/seen"
    housekeeper = unit.client(Role.HOUSEKEEPER)
    assert housekeeper.post(seen_action, data={"csrf_token": page_token(housekeeper)}).status_code == 403
    marked = desk.post(seen_action, data={"csrf_token": csrf_token(html)})
    after = marked.get_data(as_text=True)
    assert marked.status_code == 200 and "Marked seen" in after
    assert 'is-unseen' not in after and "Seen by Dana Reyes" in after
    assert "revoked: the provider disagreed" not in _home_says(unit)
    [row] = audit_rows(unit.app, "order-disagreement-seen")
    assert (row.entity, row.patient, row.actor_name) == (f"Task/{refused_cosign.id}", f"Patient/{stay.patient_id}",
                                                         "Dana Reyes")
    again = desk.post(seen_action, data={"csrf_token": csrf_token(after)})
    assert "Already seen" in again.get_data(as_text=True)
    unknown = desk.post(f"/orders/disagreements/{discontinued_cosign.id}/seen", data={"csrf_token": csrf_token(after)})
    assert unknown.status_code == 404


def test_a_provider_signs_and_disagrees_with_their_orders_from_another_units_kiosk(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    entered_on, signed_at = orders_unit(), orders_unit()
    provider = own_provider(entered_on.gw, entered_on.app)
    link_provider(signed_at.app, provider)
    stay = entered_on.stays()[0]
    _enter(entered_on, stay, provider, "57021-8")
    _enter(entered_on, stay, provider, "10839-9")
    first, second = unit_tasks = [c.id for c in entered_on.orders(stay).cosigns]

    assert 'class="order-row' not in signed_at.client().get("/orders/cosign").get_data(as_text=True)
    doctor = signed_at.client(Role.PROVIDER)
    listed = doctor.get("/orders/cosign")
    page = listed.get_data(as_text=True)
    assert listed.headers["X-FHIR-Requests"] == PROVIDER_COSIGN_LIST_REQUESTS
    assert "2 of these are yours to co-sign" in page and page.count("Entered on another unit") == 2
    assert all(f'value="{t}"' in page for t in unit_tasks)
    signed = doctor.post("/orders/cosign", data={"csrf_token": csrf_token(page), "seen": _seen(page, "/orders/cosign"),
                                                 "tasks": [first]})
    assert signed.status_code == 200 and "1 order co-signed." in signed.get_data(as_text=True)
    page = signed.get_data(as_text=True)
    action = f"/orders/cosign/{second}/disagree"
    answer = doctor.post(action, data={"csrf_token": csrf_token(page), "seen": _seen(page, action),
                                       "reason": "Duplicate"})
    assert answer.status_code == 200 and "its unit is told" in answer.get_data(as_text=True)
    assert {c.id: c.status for c in entered_on.orders(stay).cosigns} == {first: "completed", second: "cancelled"}
    # The unit the order was entered on is told; the kiosk where the provider disagreed is not its unit.
    assert "revoked: the provider disagreed" not in _home_says(signed_at)
    told = entered_on.client().get("/orders/cosign").get_data(as_text=True)
    assert told.count('class="order-row disagreement is-unseen"') == 1 and "disagrees:</strong> Duplicate" in told


def _move_stay(stay: Stay, to: OrdersUnit) -> None:
    """The patient's stay moved to a free bed of another unit (by the EHR, on the server)."""
    census = unit_census(to.gw, to.ref)
    occupied = {loc.location for e in census.encounters for loc in e.locations if loc.status == "active"}
    bed = next(b for b in census.beds if b.reference not in occupied)
    encounter = to.gw.client.read("Encounter", stay.encounter_id)
    version = encounter["meta"]["versionId"]
    encounter["location"] = [{"location": {"reference": bed.reference}, "status": "active"}]
    to.gw.client.update(encounter, version=version)


def _told(unit: OrdersUnit) -> str:
    """The unit's co-signature page, its board read first (the census its screens keep)."""
    desk = unit.client()
    desk.get("/beds/board", headers={"HX-Request": "true"})
    return desk.get("/orders/cosign").get_data(as_text=True)


def test_the_unit_the_patient_moved_to_is_told_as_well_as_the_unit_the_order_was_entered_on(
        orders_unit: Callable[..., OrdersUnit], tmp_path: Path, make_app: Callable[..., Flask]) -> None:
    """Both units' kiosks on one database: each unit keeps and marks its own."""
    shared = {"KIOSK_DATABASE_URL": f"sqlite:///{tmp_path / 'hospital.db'}"}
    entered_on, moved_to = orders_unit(**shared), orders_unit(**shared)
    provider = own_provider(entered_on.gw, entered_on.app)
    stay = entered_on.stays()[0]
    _enter(entered_on, stay, provider, "10839-9")
    [cosign] = entered_on.orders(stay).cosigns
    _move_stay(stay, moved_to)

    doctor = entered_on.client(Role.PROVIDER)
    page = doctor.get("/orders/cosign").get_data(as_text=True)
    action = f"/orders/cosign/{cosign.id}/disagree"
    answer = doctor.post(action, data={"csrf_token": csrf_token(page), "seen": _seen(page, action),
                                       "reason": "Not for this patient"})
    assert answer.status_code == 200
    assert "if the patient has moved, the unit the patient is on now is told" in answer.get_data(as_text=True)

    there = _told(moved_to)
    assert there.count('class="order-row disagreement is-unseen"') == 1 and cosign.id in there
    assert "Entered on another unit;</strong> the patient is on this unit now" in there
    assert "disagrees:</strong> Not for this patient" in there
    # Kept for its home screen when its co-signature page found it.
    assert "1 order was revoked: the provider disagreed" in _home_says(moved_to)
    here = _told(entered_on)
    assert here.count('class="order-row disagreement is-unseen"') == 1
    assert "The patient is no longer on this unit:</strong> tell the nurse caring for them now" in here

    # The patient comes back: the unit that found it while they were there still lists it (read again by
    # its id), saying so; the entering unit no longer says the patient left.
    _move_stay(stay, entered_on)
    there = _told(moved_to)
    assert there.count('class="order-row disagreement is-unseen"') == 1
    assert "Entered on another unit;</strong> the patient was on this unit when it was found" in there
    assert "no longer on this unit" not in _told(entered_on)

    desk = moved_to.client()
    marked = desk.post(f"/orders/disagreements/{cosign.id}/seen", data={"csrf_token": page_token(desk)})
    assert marked.status_code == 200 and "Marked seen" in marked.get_data(as_text=True)
    # Seen, it stays listed there within the window (read again by its id: the patient left again).
    assert "Seen by Dana Reyes" in marked.get_data(as_text=True)
    assert "revoked: the provider disagreed" not in _home_says(moved_to)
    # The entering unit's mark is its own: still unseen there.
    assert _told(entered_on).count('class="order-row disagreement is-unseen"') == 1
    assert "1 order was revoked: the provider disagreed" in _home_says(entered_on)


def test_discontinuing_from_a_stale_version_is_a_conflict_that_writes_nothing(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    _enter(unit, stay, stay.attending or "", "57021-8")
    client = unit.client()
    page = client.get(stay.base).get_data(as_text=True)
    [order] = unit.orders(stay).orders
    action = f"{stay.base}/orders/{order.id}/discontinue"
    seen = _seen(page, action)
    raw = unit.orders(stay).raw[order.reference]
    raw["note"] = [*(raw.get("note") or []), {"text": "Changed at another station"}]
    unit.gw.client.update(raw, version=raw["meta"]["versionId"])

    stale = client.post(action, data={"csrf_token": csrf_token(page), "seen": seen, "reason": "No longer needed"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Changed at another station" in text
    assert "Nothing was written (checked on the FHIR server)." in text
    after = unit.orders(stay)
    assert after.orders[0].status == "active" and after.cosigns[0].status == "requested"

    fresh = client.get(stay.base).get_data(as_text=True)
    done = client.post(action, data={"csrf_token": csrf_token(fresh), "seen": _seen(fresh, action),
                                     "reason": "No longer needed"})
    assert done.status_code == 200 and "is discontinued" in done.get_data(as_text=True)
    after = unit.orders(stay)
    assert after.orders[0].status == "revoked" and after.cosigns[0].status == "cancelled"


def test_an_unseen_disagreement_stays_past_its_window_and_while_the_server_is_down(
        orders_unit: Callable[..., OrdersUnit], sekmet: SekmetServer) -> None:
    outage = OutageProxy(sekmet.base_url).start()
    try:
        unit = orders_unit(KIOSK_FHIR_BASE_URL=outage.base_url)
        _, cosign, refused = _entered_and_refused(unit, "No")
        assert refused.status_code == 200

        # Three days later (past disagreement_hours), nobody has marked it: still listed, still counted.
        later = datetime.now(UTC) + timedelta(hours=72)
        with unit.app.app_context():
            told = unit_disagreements(unit.gw, database(), settings_of(ORDERS_FILE), settings().unit.location, later)
            line = count_cosignatures(JobContext(settings=settings(), database=database(), gateway=unit.gw,
                                                 log=logging.getLogger("test"), clock=lambda: later))
        assert [(r.task_id, r.reason, r.seen_by) for r in told.rows] == [(cosign.id, "No", None)]
        assert line.endswith(", 1 disagreement not yet seen"), line

        outage.go_down()
        desk = unit.client()
        down = desk.get("/orders/cosign")
        html = down.get_data(as_text=True)
        assert down.status_code == 200 and "The co-signature list could not be read" in html
        assert html.count('class="order-row disagreement is-unseen"') == 1 and "cannot be read from the FHIR" in html
        assert "1 order was revoked: the provider disagreed" in _home_says(unit)
        marked = desk.post(f"/orders/disagreements/{cosign.id}/seen", data={"csrf_token": csrf_token(html)})
        assert marked.status_code == 200 and "Marked seen" in marked.get_data(as_text=True)
        assert "revoked: the provider disagreed" not in _home_says(unit)
    finally:
        outage.stop()


def test_a_kept_disagreement_the_server_no_longer_holds_as_one_is_forgotten(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    _, cosign, refused = _entered_and_refused(unit, "No")
    assert refused.status_code == 200 and "1 order was revoked" in _home_says(unit)
    task = unit.gw.client.read("Task", cosign.id)
    task["statusReason"] = {"text": "Cancelled in the EHR"}  # corrected elsewhere: no longer a disagreement
    unit.gw.client.update(task, version=task["meta"]["versionId"])

    later = datetime.now(UTC) + timedelta(hours=72)  # past the window: read again by its id
    with unit.app.app_context():
        told = unit_disagreements(unit.gw, database(), settings_of(ORDERS_FILE), settings().unit.location, later)
    assert told.rows == [] and told.problem is None
    assert "revoked: the provider disagreed" not in _home_says(unit)
