"""The administrator's staff page: add, reset a PIN, disable; nobody else may."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from kiosk.audit.services import AuditQuery, search
from kiosk.auth import Role
from kiosk.extensions import database
from tests.support.auth import CREDENTIALS, csrf_token, page_token


def test_an_administrator_adds_resets_and_disables(app: Flask,
                                                   signed_in_client: Callable[[Role], FlaskClient]) -> None:
    admin = signed_in_client(Role.ADMINISTRATOR)
    token = page_token(admin, "/staff/")
    bad = admin.post("/staff/", data={"badge": "200001", "display_name": "Chris Lowe", "role": "unit_secretary",
                                      "pin": "12", "pin_again": "12", "csrf_token": token})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "A PIN is 4 to 12 digits." in page
    assert 'value="Chris Lowe"' in page  # what was typed is kept
    added = admin.post("/staff/", data={"badge": "200001", "display_name": "Chris Lowe", "role": "unit_secretary",
                                        "pin": "4826", "pin_again": "4826", "csrf_token": token})
    assert "Added Chris Lowe." in added.get_data(as_text=True)

    chris = app.test_client()
    t = csrf_token(chris.get("/sign-in").get_data(as_text=True))
    chris.post("/sign-in/badge", data={"badge": "200001", "csrf_token": t})
    t = csrf_token(chris.get("/sign-in/pin").get_data(as_text=True))
    assert chris.post("/sign-in/pin", data={"pin": "4826", "csrf_token": t}).status_code == 302
    assert chris.get("/").status_code == 200

    html = admin.get("/staff/").get_data(as_text=True)
    row = html.split("Chris Lowe", 1)[1]
    staff_id = int(row.split("/staff/", 1)[1].split("/", 1)[0])
    asked = admin.post(f"/staff/{staff_id}/disable", data={"csrf_token": token})
    assert asked.status_code == 400 and "Yes, disable Chris Lowe" in asked.get_data(as_text=True)  # its label
    assert chris.get("/").status_code == 200  # one tap disables nothing: it asks
    confirm = admin.get(f"/staff/?disable={staff_id}").get_data(as_text=True)
    assert "Yes, disable Chris Lowe" in confirm and 'name="confirm" value="yes"' in confirm
    done = admin.post(f"/staff/{staff_id}/disable", data={"csrf_token": token, "confirm": "yes"})
    assert "Disabled Chris Lowe" in done.get_data(as_text=True)
    assert chris.get("/").status_code == 302  # a disabled account's open session ends at once
    assert sign_in_as(app, "200001", "4826") == 401

    enabled = admin.post(f"/staff/{staff_id}/enable", data={"csrf_token": token})
    assert "Enabled Chris Lowe" in enabled.get_data(as_text=True)
    assert sign_in_as(app, "200001", "4826") == 302
    assert audit_actions(app)[-2:] == ["staff-enable", "sign-in"]
    assert "staff-disable" in audit_actions(app)


def sign_in_as(app: Flask, badge: str, pin: str) -> int:
    """Badge then PIN on a fresh client; the PIN step's HTTP status."""
    client = app.test_client()
    t = csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post("/sign-in/badge", data={"badge": badge, "csrf_token": t})
    t = csrf_token(client.get("/sign-in/pin").get_data(as_text=True))
    return client.post("/sign-in/pin", data={"pin": pin, "csrf_token": t}).status_code


def audit_actions(app: Flask) -> list[str]:
    with app.app_context(), database().session() as db:
        return [r.action for r in reversed(search(db, AuditQuery()))]


def test_a_charge_nurse_sees_a_locked_badge_and_unlocks_it(app: Flask,
                                                           signed_in_client: Callable[[Role], FlaskClient]) -> None:
    badge, pin, name = CREDENTIALS[Role.UNIT_SECRETARY]
    for _ in range(5):
        assert sign_in_as(app, badge, "9021") == 401
    assert sign_in_as(app, badge, pin) == 401  # locked
    charge = signed_in_client(Role.CHARGE_NURSE)
    home = charge.get("/").get_data(as_text=True)
    assert "1 badge locked after wrong PINs" in home and name in home
    page = charge.get("/staff/").get_data(as_text=True)
    assert f"Unlock {name}" in page
    assert "Add an account" not in page and "New PIN" not in page  # accounts stay the administrator's
    staff_id = int(page.split(f"Unlock {name}", 1)[0].rsplit("/staff/", 1)[1].split("/", 1)[0])
    token = csrf_token(page)
    unlocked = charge.post(f"/staff/{staff_id}/unlock", data={"csrf_token": token})
    assert unlocked.status_code == 200 and f"Unlocked {name}" in unlocked.get_data(as_text=True)
    assert "No badge is locked now." in unlocked.get_data(as_text=True)
    assert "badge locked" not in charge.get("/").get_data(as_text=True)
    assert audit_actions(app)[-1] == "badge-unlocked"
    again = charge.post(f"/staff/{staff_id}/unlock", data={"csrf_token": token})
    assert again.status_code == 409 and "is not locked" in again.get_data(as_text=True)
    assert sign_in_as(app, badge, pin) == 302
    # Nobody else may unlock, and a unit secretary's home shows no locked badges.
    secretary = signed_in_client(Role.NURSE)
    assert secretary.post(f"/staff/{staff_id}/unlock", data={"csrf_token": page_token(secretary)}).status_code == 403


def test_others_are_refused_by_the_server(signed_in_client: Callable[[Role], FlaskClient]) -> None:
    for role in (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.PROVIDER):
        client = signed_in_client(role)
        token = page_token(client)
        response = client.post("/staff/", data={"badge": "300001", "display_name": "Mallory", "role": "administrator",
                                                "pin": "1111", "pin_again": "1111", "csrf_token": token})
        assert response.status_code == 403
        assert "Only an administrator may manage staff accounts." in response.get_data(as_text=True)


def test_trivial_pins_are_refused_on_the_staff_page(signed_in_client: Callable[[Role], FlaskClient]) -> None:
    admin = signed_in_client(Role.ADMINISTRATOR)
    token = page_token(admin, "/staff/")
    added = admin.post("/staff/", data={"badge": "200002", "display_name": "Pat Moss", "role": "unit_secretary",
                                        "pin": "1234", "pin_again": "1234", "csrf_token": token})
    page = added.get_data(as_text=True)
    assert added.status_code == 400
    assert "That PIN is a run of digits (like 1234 or 4321): too easy to guess. Choose another." in page
    assert 'value="Pat Moss"' in page
    html = admin.get("/staff/").get_data(as_text=True)
    staff_id = int(html.split("Dana Reyes", 1)[1].split("/staff/", 1)[1].split("/", 1)[0])
    reset = admin.post(f"/staff/{staff_id}/reset-pin", data={"pin": "0000", "pin_again": "0000", "csrf_token": token})
    assert reset.status_code == 400
    assert "That PIN is one digit repeated (like 0000): too easy to guess." in reset.get_data(as_text=True)
