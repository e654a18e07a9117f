"""The administrator's staff page: add, reset a PIN, disable; nobody else may."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from tests.support.auth import csrf_token, page_token


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
    admin.post(f"/staff/{staff_id}/disable", data={"csrf_token": token})
    assert chris.get("/").status_code == 302  # a disabled account's open session ends at once


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
