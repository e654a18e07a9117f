"""The supplies screens through the Flask app on a real sekmet-fhir server: counting, refusing a count
that is not a whole number, asking the scheduler (never running the check in the web), the supplies
page's fixed FHIR cost, roles, and the home screen's zero-stock alert."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.config import ConfigError
from kiosk.db import Database
from kiosk.fhir.client import FhirClient
from kiosk.fhir.gateway import UnitRef
from kiosk.scheduler.models import JobRequest
from kiosk.settings_files import settings_of
from kiosk.supplies.check import run_check
from kiosk.supplies.config import SUPPLIES_FILE
from kiosk.supplies.counts import Counter, last_counts, record_counts
from kiosk.supplies.models import SupplyCheck
from tests.conftest import make_settings
from tests.support.auth import page_token, sign_in_client
from tests.support.fhir_faults import LosesTheWriteAnswer, ThenDown
from tests.support.supplies import EPIC, SMALL_PAR, inject_capabilities, unit_env


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


@pytest.fixture
def app(make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask]) -> Flask:
    """The kiosk on a unit of its own (its reorders meet no other test's)."""
    return make_app(**unit_env(make_unit(2)))


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["kiosk"].database


@pytest.fixture
def secretary(app: Flask) -> FlaskClient:
    return sign_in_client(app.test_client(), Role.UNIT_SECRETARY)


def typed_value(html: str, item_code: str) -> str:
    """The value in an item's count field, as the page shows it."""
    row = html.split(f'data-item="{item_code}"', 1)[1].split("</li>", 1)[0]
    match = re.search(r'class="count-input"[^>]*value="([^"]*)"', row)
    assert match, item_code
    return match.group(1)


def post_count(client: FlaskClient, location: str, values: dict[str, str]) -> object:
    token = page_token(client, f"/supplies/count/{location}")
    data = {"csrf_token": token}
    for i, (code, value) in enumerate(values.items()):
        data[f"counts-{i}-code"] = code
        data[f"counts-{i}-count"] = value
    return client.post(f"/supplies/count/{location}", data=data)


def check_now(app: Flask, db: Database, at: datetime | None = None) -> None:
    """What the scheduler's job does (the web never does this itself)."""
    with app.app_context():
        from kiosk.extensions import gateway
        run_check(settings_of(SUPPLIES_FILE), database=db, gateway=gateway(), station="4W-NS-1", now=at)


def test_saving_a_count_records_who_counted_and_when(secretary: FlaskClient, db: Database) -> None:
    before = datetime.now(UTC)
    response = post_count(secretary, "CRASH", {"300110": "0", "300120": " 2 ", "300130": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/supplies/?counted=CRASH"
    counts = last_counts(db, "CRASH")
    assert {code: c.quantity for (_, code), c in counts.items()} == {"300110": 0, "300120": 2}
    assert {c.counted_by for c in counts.values()} == {"Dana Reyes"}
    assert all(before <= c.counted_at <= datetime.now(UTC) for c in counts.values())
    with db.session() as session:
        audit = session.query(AuditRecord).filter_by(action="supply-count").one()
    assert (audit.actor_name, audit.detail, audit.station) == ("Dana Reyes", "CRASH: 2 item(s) counted", "4W-NS-1")
    page = text(secretary.get("/supplies/?counted=CRASH").get_data(as_text=True))
    assert "Count saved for Crash cart." in page


@pytest.mark.parametrize(("typed", "message"), [
    ("2.5", "Count whole units: 2.5 is not a whole number."),
    ("3,5", "Count whole units: 3,5 is not a whole number."),
    ("-3", "A count cannot be below zero."),
    ("two", "Type a whole number, not “two”."),
    ("1e3", "Type a whole number, not “1e3”."),
    ("250000", "250000 is more than a location holds; check the number."),
])
def test_a_count_that_is_not_a_whole_number_is_refused_and_nothing_is_saved(secretary: FlaskClient, db: Database,
                                                                            typed: str, message: str) -> None:
    response = post_count(secretary, "CRASH", {"300110": "1", "300120": typed, "300150": "2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in text(html)
    assert "Nothing was saved: 1 count needs fixing (marked below). What you typed is kept." in text(html)
    # What was typed comes back as typed, in every field.
    for code, value in (("300110", "1"), ("300120", typed), ("300150", "2")):
        assert typed_value(html, code) == value
    assert last_counts(db, "CRASH") == {}


def test_saving_nothing_is_refused(secretary: FlaskClient) -> None:
    response = post_count(secretary, "NOURISH", {"400110": "", "400120": "  "})
    assert response.status_code == 422
    assert "Nothing to save yet: type a count for at least one item." in text(response.get_data(as_text=True))


def test_a_code_not_on_the_list_is_refused(secretary: FlaskClient) -> None:
    response = post_count(secretary, "CRASH", {"999999": "3"})
    assert response.status_code == 422
    assert "Crash cart has no item 999999" in text(response.get_data(as_text=True))


def test_an_unknown_location_is_a_readable_404(secretary: FlaskClient) -> None:
    response = secretary.get("/supplies/count/ATTIC")
    assert response.status_code == 404
    assert "There is no supply location ATTIC on this unit's par list." in text(response.get_data(as_text=True))


def test_a_provider_may_look_but_not_count(app: Flask) -> None:
    provider = sign_in_client(app.test_client(), Role.PROVIDER)
    assert provider.get("/supplies/count/CRASH").status_code == 200
    response = post_count(provider, "CRASH", {"300110": "1"})
    assert response.status_code == 403
    assert "save a supply count" in text(response.get_data(as_text=True))


def test_run_check_now_asks_the_scheduler_and_runs_nothing_in_the_web(secretary: FlaskClient, db: Database) -> None:
    post_count(secretary, "CRASH", {"300110": "0"})
    token = page_token(secretary, "/supplies/")
    first = secretary.post("/supplies/check", data={"csrf_token": token}, headers={"HX-Request": "true"})
    second = secretary.post("/supplies/check", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert first.status_code == second.status_code == 200
    assert first.headers["X-FHIR-Requests"] == "0"
    with db.session() as session:
        asked = session.query(JobRequest).all()
        assert [(r.job, r.status, r.requested_by) for r in asked] == [("supply-check", "pending", "Dana Reyes")]
        assert session.query(SupplyCheck).count() == 0
    html = first.get_data(as_text=True)
    assert f'hx-get="/supplies/check/{asked[0].id}"' in html and 'hx-trigger="every 1s"' in html
    assert "no scheduler is running, so the check waits until one starts" in text(html)
    # The page, reloaded, keeps polling the same request.
    assert f"/supplies/check/{asked[0].id}" in secretary.get("/supplies/").get_data(as_text=True)


def test_the_answer_refreshes_the_page_sections(app: Flask, secretary: FlaskClient, db: Database) -> None:
    from kiosk.scheduler import requests

    post_count(secretary, "CRASH", {"300110": "0", "300130": "1"})
    asked = requests.ask(db, "supply-check", requested_by="Dana Reyes", station="4W-NS-1")
    check_now(app, db)
    requests.answer(db, [asked.id], ok=True, result="Checked 54 items: 2 at or below reorder point; 2 reorders sent.")
    html = secretary.get(f"/supplies/check/{asked.id}").get_data(as_text=True)
    assert "hx-trigger" not in html.split('id="last-check"')[0]  # no more polling
    for section in ("last-check", "locations", "below-par", "reorders"):
        assert re.search(rf'id="{section}"[^>]*hx-swap-oob="true"', html), section
    assert "Defibrillator pads, adult" in text(html) and "STAT" in text(html)


def test_the_supplies_page_costs_one_fhir_request_whatever_the_reorders(app: Flask, secretary: FlaskClient,
                                                                        db: Database) -> None:
    secretary.get("/supplies/")  # the CapabilityStatement is read once per process
    assert secretary.get("/supplies/").headers["X-FHIR-Requests"] == "0"  # no reorders yet: nothing to ask
    post_count(secretary, "CRASH", {"300110": "0"})
    check_now(app, db)
    page = secretary.get("/supplies/")
    assert page.headers["X-FHIR-Requests"] == "1"
    post_count(secretary, "SUPPLY", {code: "0" for code in ("100112", "100220", "100222", "100318", "100410",
                                                            "100501", "100502", "100510", "100620", "100621")})
    check_now(app, db)
    page = secretary.get("/supplies/")
    assert page.headers["X-FHIR-Requests"] == "1"
    assert text(page.get_data(as_text=True)).count("Requested") == 11


def test_delivered_reorders_leave_the_list(app: Flask, secretary: FlaskClient, db: Database) -> None:
    post_count(secretary, "CRASH", {"300110": "0", "300130": "1"})
    check_now(app, db)
    with app.app_context():
        from kiosk.extensions import gateway
        gw = gateway()
        ids = re.findall(r'data-supply-request="([^"]+)"', secretary.get("/supplies/reorders").get_data(as_text=True))
        assert len(ids) == 2
        delivered = gw.client.read("SupplyRequest", ids[0])
        gw.client.update({**delivered, "status": "completed"}, version=delivered["meta"]["versionId"])
    html = secretary.get("/supplies/reorders").get_data(as_text=True)
    assert re.findall(r'data-supply-request="([^"]+)"', html) == [ids[1]]
    assert "1 recent reorder delivered." in text(html)


def test_a_server_without_supply_requests_shows_why_on_the_page(app: Flask, secretary: FlaskClient,
                                                                db: Database) -> None:
    post_count(secretary, "CRASH", {"300110": "0"})
    with app.app_context():
        from kiosk.extensions import gateway
        inject_capabilities(gateway(), EPIC)
    check_now(app, db)
    page = text(secretary.get("/supplies/").get_data(as_text=True))
    assert "Reorders not sent." in page
    assert "The reorders could not be sent: Epic May 2026 does not offer SupplyRequest resources." in page
    assert "No open reorders." in page


def test_a_lost_answer_the_server_cannot_be_asked_about_shows_as_not_known(app: Flask, secretary: FlaskClient,
                                                                          db: Database) -> None:
    """The reorder's write reached the server, its answer was lost, and the server could not be read again:
    the page does not say the reorders could not be sent; it says nobody knows yet, and the next check looks."""
    post_count(secretary, "CRASH", {"300110": "0"})
    with app.app_context():
        from kiosk.extensions import gateway
        gw = gateway()
        gw.capabilities  # noqa: B018  (read once, as a running scheduler has)
        gw.unit_location_id()
        live, writes = gw.client, []
        gw.client = FhirClient(live.base_url, read_retries=0, transport=ThenDown(
            LosesTheWriteAnswer(live.base_url, writes.append, applied=True), writes))
        try:
            run_check(settings_of(SUPPLIES_FILE), database=db, gateway=gw, station="4W-NS-1")
        finally:
            gw.client.close()
            gw.client = live
    page = text(secretary.get("/supplies/").get_data(as_text=True))
    assert "Not known whether sent." in page and "the next check looks" in page
    assert "Not known whether the reorders were sent; the next check looks." in page
    assert "could not be sent" not in page and "not sent" not in page


def test_stale_counts_are_marked(secretary: FlaskClient, db: Database, app: Flask) -> None:
    with app.app_context():
        crash = settings_of(SUPPLIES_FILE).par.location("CRASH")
    record_counts(db, crash, {"300110": 1}, Counter("4W-NS-1", "1", "Sam Lee"), datetime.now(UTC) - timedelta(hours=30))
    html = secretary.get("/supplies/count/CRASH").get_data(as_text=True)
    row = html.split('data-item="300110"')[0].rsplit("<li", 1)[1]
    assert "stock-row-stale" in row
    assert "Stale count" in text(html.split('data-item="300110"')[1].split("</li>")[0])


def test_the_home_screen_alerts_while_an_item_is_at_zero(secretary: FlaskClient) -> None:
    secretary.get("/")  # the unit's id is looked up once per process
    home = secretary.get("/")
    assert "supply-alert" not in home.get_data(as_text=True).split('id="supply-alert"')[1].split("</div>")[0]
    requests_before = int(home.headers["X-FHIR-Requests"])
    post_count(secretary, "CRASH", {"300110": "0", "300120": "0", "300130": "2"})
    home = secretary.get("/")
    assert "2 supply items with none left Defibrillator pads, adult (Crash cart), Bag-valve-mask resuscitator, adult " \
           "(Crash cart)" in text(home.get_data(as_text=True))
    assert int(home.headers["X-FHIR-Requests"]) == requests_before  # the alert reads the kiosk's database only
    alert = secretary.get("/supplies/alert")
    assert alert.headers["X-FHIR-Requests"] == "0"
    assert "2 supply items with none left" in text(alert.get_data(as_text=True))
    post_count(secretary, "CRASH", {"300110": "2", "300120": "2"})
    assert "none left" not in text(secretary.get("/").get_data(as_text=True))


def test_a_bad_par_file_stops_the_web_app_from_starting(demo_settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    par = tmp_path / "par.toml"
    par.write_text(SMALL_PAR.replace('"300120"', '"300110"'))
    monkeypatch.setenv("KIOSK_SUPPLIES_PAR_LEVELS", str(par))
    with pytest.raises(ConfigError) as err:
        create_app(make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db"), testing=True)
    assert str(err.value) == (f"{par} line 18: item code 300110 appears twice in Crash cart (first on line 17); "
                              "each item is listed once per location.")

