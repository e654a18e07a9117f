"""Two kiosk instances on one PostgreSQL database, and the scheduler: a page form sent to both at once (a
double tap a load balancer spread over them) while the scheduler's paging job runs reaches the real SMTP
server once."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from kiosk.auth import Role
from kiosk.fhir.records import EncounterRecord
from kiosk.paging.jobs import run_paging
from tests.integration.paging.test_send import _form, compose_path, pages
from tests.support.auth import same_browser, sign_in_client
from tests.support.concurrency import at_once
from tests.support.labels import job_context
from tests.support.paging import SmtpSink, WebhookReceiver, paging_env


def test_a_page_sent_to_two_instances_while_the_scheduler_pages_is_sent_once(
        make_app: Callable[..., Flask], postgres_url: str, smtp: SmtpSink, webhook: WebhookReceiver,
        role_system: str, stays: list[EncounterRecord]) -> None:
    env = paging_env(smtp.port, webhook.url)
    one = make_app(KIOSK_DATABASE_URL=postgres_url, **env)
    two = make_app(KIOSK_DATABASE_URL=postgres_url, **env)
    client = sign_in_client(one.test_client(), Role.UNIT_SECRETARY)
    form = _form(client, compose_path(stays[2]), template="call-unit")
    taps = [client, same_browser(two, client)]
    ctx = job_context(two)
    first, second, summaries = at_once(lambda: taps[0].post("/paging/send", data=form).get_data(as_text=True),
                                       lambda: taps[1].post("/paging/send", data=form).get_data(as_text=True),
                                       lambda: [run_paging(ctx) for _ in range(3)])
    answers = [first, second]
    assert len(summaries) == 3
    # The one that sent it, or found the scheduler sending it, says so; the other finds the form used.
    assert sum("Page sent" in a or "Page being sent" in a for a in answers) == 1
    assert sum("This page was sent from this form before" in a for a in answers) == 1
    smtp.wait_for(1)
    sent = pages(one)
    assert len(sent) == 1 and len(sent[0][1]) == 1
    assert len(smtp.mails) == 1
