"""Two kiosk instances on one PostgreSQL database, and the scheduler: a print form sent to both at once (a
double tap a load balancer spread over them) while the scheduler's print-retry job runs makes one job and
one label. Real kiosks, real sekmet-fhir, a real TCP printer."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.jobs import retry_print_queue
from kiosk.labels.models import JobStatus, PrintJob
from tests.integration.labels.test_printing import _form, _page_url
from tests.support.auth import same_browser, sign_in_client
from tests.support.concurrency import at_once
from tests.support.labels import PrinterFiles, RawPrinter, job_context, new_inpatient


def test_a_print_sent_to_two_instances_while_the_scheduler_retries_prints_once(
        make_app: Callable[..., Flask], postgres_url: str, printer_files: PrinterFiles, zebra: RawPrinter,
        gateway: FhirGateway) -> None:
    one, two = make_app(KIOSK_DATABASE_URL=postgres_url), make_app(KIOSK_DATABASE_URL=postgres_url)
    stay = new_inpatient(gateway, "Twoinstances", ["Pat"])
    client = sign_in_client(one.test_client())
    url = _page_url(stay)
    form = _form(client, url, identifiers_confirmed="y")
    taps = [client, same_browser(two, client)]
    ctx = job_context(two)
    first, second, summaries = at_once(lambda: taps[0].post(url + "/print", data=form).status_code,
                                       lambda: taps[1].post(url + "/print", data=form).status_code,
                                       lambda: [retry_print_queue(ctx) for _ in range(3)])
    answers = [first, second]
    assert answers == [302, 302] and len(summaries) == 3
    with one.app_context(), database().session() as session:
        jobs = session.query(PrintJob).all()
        assert len(jobs) == 1 and jobs[0].print_token == form["print_token"]
        assert jobs[0].status == JobStatus.PRINTED
        payload = jobs[0].payload
    assert zebra.jobs() == [payload]
