"""A print form prints once (a double tap, a resubmitted page), and only the bytes the user saw; a
patient whose birth date is incomplete gets no label. Real kiosk, real sekmet-fhir, a real TCP socket."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from kiosk.audit.models import AuditRecord
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.models import PrintJob
from tests.integration.labels.test_printing import _field, _form, _page_url, text
from tests.support.auth import same_browser
from tests.support.concurrency import at_once
from tests.support.labels import RawPrinter, demo_inpatient, new_inpatient


def _jobs(app: Flask) -> list[PrintJob]:
    with app.app_context(), database().session() as session:
        return session.query(PrintJob).order_by(PrintJob.id).all()


def test_two_taps_on_print_make_one_job_and_one_label(labels_app: Flask, client: FlaskClient,
                                                      gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = demo_inpatient(gateway, index=9)
    url = _page_url(stay)
    form = _form(client, url, identifiers_confirmed="y")
    clients = [client, same_browser(labels_app, client)]

    def tap(c: FlaskClient) -> tuple[int, str]:
        response = c.post(url + "/print", data=form)
        return response.status_code, response.headers.get("Location", "")

    answers = at_once(lambda: tap(clients[0]), lambda: tap(clients[1]))
    jobs = _jobs(labels_app)
    assert len(jobs) == 1 and jobs[0].print_token == form["print_token"]
    assert [a[0] for a in answers] == [302, 302]
    assert {a[1] for a in answers} == {f"/labels/jobs/{jobs[0].id}"}  # both taps lead to the one job
    assert len(zebra.jobs()) == 1
    with labels_app.app_context(), database().session() as session:
        assert session.query(AuditRecord).filter(AuditRecord.action.in_(["print", "reprint"]),
                                                 AuditRecord.intent_id.is_(None)).count() == 1
    # The same form sent again later (the page resubmitted) still finds that job and prints nothing.
    again = client.post(url + "/print", data=form)
    assert again.status_code == 302 and again.headers["Location"] == f"/labels/jobs/{jobs[0].id}"
    assert len(_jobs(labels_app)) == 1 and len(zebra.jobs()) == 1


def test_a_form_without_the_preview_hash_never_prints_unverified(labels_app: Flask, client: FlaskClient,
                                                                  gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = demo_inpatient(gateway, index=10)
    url = _page_url(stay)
    form = _form(client, url, identifiers_confirmed="y")
    for previewed in ("", None, "0" * 64):
        posted = {k: v for k, v in form.items() if k != "preview_sha256"}
        if previewed is not None:
            posted["preview_sha256"] = previewed
        response = client.post(url + "/print", data=posted)
        assert response.status_code == 422
        page = text(response.get_data(as_text=True))
        assert "changed since the preview you saw" in page and "Exactly what will print" in page
    missing_token = {k: v for k, v in form.items() if k != "print_token"}
    response = client.post(url + "/print", data=missing_token)
    assert response.status_code == 422 and "This print form is out of date" in text(response.get_data(as_text=True))
    assert 'name="print_token" type="hidden" value="' in response.get_data(as_text=True)  # a new token to go on
    assert _jobs(labels_app) == [] and zebra.jobs() == []
    # With the page as it now stands (new hash, same token), the print goes through once.
    ok = client.post(url + "/print", data=form)
    assert ok.status_code == 302 and len(_jobs(labels_app)) == 1


def test_a_partial_birth_date_refuses_every_label_for_the_patient(labels_app: Flask, client: FlaskClient,
                                                                   gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = new_inpatient(gateway, "Partial", ["Year"], birth_date="1985")
    url = _page_url(stay)
    for label_type in ("adult-armband", "infant-armband", "chart"):
        page = text(client.get(f"{url}?type={label_type}").get_data(as_text=True))
        assert "This label cannot be printed" in page and "date of birth on record is incomplete" in page
        assert "1985 (incomplete)" in page and "01 Jan 1985" not in page and "Exactly what will print" not in page
    html = client.get(url).get_data(as_text=True)
    form = {"csrf_token": _field(html, "csrf_token"), "label_type": "adult-armband",
            "print_token": _field(html, "print_token"), "printer_id": "TEST-ZEBRA", "copies": "1",
            "identifiers_confirmed": "y", "preview_sha256": ""}
    response = client.post(url + "/print", data=form)
    assert response.status_code == 422 and _jobs(labels_app) == [] and zebra.jobs() == []
    specimen = client.post(url + "/print", data={**form, "label_type": "specimen", "accession": "S26-1",
                                                 "test": "CBC", "container": "Lavender top (EDTA)"})
    assert specimen.status_code == 422 and "incomplete" in text(specimen.get_data(as_text=True))
    assert _jobs(labels_app) == []

