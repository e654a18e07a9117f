"""Never lost, never doubled: pages reach a real SMTP server and a real webhook receiver exactly once,
across a kiosk restart and receivers that are down and then up; a send cut off after the message left
becomes "Check delivery" and is never sent again by itself."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kiosk import create_app
from kiosk.auth import Role
from kiosk.auth.services import ensure_demo_staff
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.extensions import database
from kiosk.fhir.client import token
from kiosk.fhir.gateway import FhirGateway
from kiosk.paging.channels import Outgoing
from kiosk.paging.compose import Draft
from kiosk.paging.links import new_public_id
from kiosk.paging.models import MessageStatus, Page, PageMessage, utcnow
from kiosk.paging.recipients import Recipient, Route
from kiosk.paging.services import PageRequest, Paging
from kiosk.paging.settings import PAGING_FILE, PagingConfig
from tests.conftest import make_settings
from tests.support.auth import sign_in_client
from tests.support.paging import DroppingSmtp, SmtpSink, WebhookReceiver, paging_env, send_page
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule

FAST_PAGING = """\
[scheduler]
lease_seconds = 5
poll_seconds = 0.5

[jobs.paging]
interval_seconds = 1
"""


def kiosk_app(settings: Settings) -> Flask:
    app = create_app(settings, testing=True)
    app.config["TESTING"] = True
    with app.app_context():
        database().upgrade()
        with database().session() as db:
            ensure_demo_staff(db, settings.identifiers.practitioner)
    return app


def messages(db: Database) -> list[PageMessage]:
    with db.session() as session:
        return list(session.query(PageMessage).order_by(PageMessage.id))


def by_name(name: str) -> Callable[[list[tuple[str, str, str]]], str]:
    return lambda found: next(value for value, who, _why in found if who == name)


@pytest.fixture
def scheduler_runs() -> Iterator[list[SchedulerRun]]:
    runs: list[SchedulerRun] = []
    yield runs
    for run in runs:
        if run.process.poll() is None:
            run.stop(signal.SIGKILL)


def communications(gw: FhirGateway, settings: Settings, page: Page, message: PageMessage) -> list[dict[str, Any]]:
    """The Communications on the server that carry this message (found by the key the kiosk gives them)."""
    system = PAGING_FILE.read(settings).settings.message_system
    return gw.client.search("Communication", [("identifier", token(system, f"{page.public_id}-{message.seq}"))]).matches


def test_pages_reach_smtp_and_the_webhook_exactly_once_across_a_restart_and_receivers_down_then_up(
        demo_settings: Settings, role_system: str, tmp_path: Path, scheduler_runs: list[SchedulerRun],
        gateway: FhirGateway) -> None:
    smtp, webhook = SmtpSink(), WebhookReceiver()  # both down
    env = paging_env(smtp.port, webhook.url, KIOSK_PAGING_RETRY_FIRST_DELAY_SECONDS="1",
                     KIOSK_WEB_SECRET_KEY="test-secret-key-not-for-production")
    settings = make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db", **env)
    app = kiosk_app(settings)
    client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    first, _ = send_page(client, "/paging/new", by_name("Vivian Tran"), template="call-unit")
    second, _ = send_page(client, "/paging/new", by_name("Lena Ortiz"), urgency="urgent",
                          free_text="Bed 412 asks for you.")
    for response in (first, second):
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Not sent yet" in html, html
    db = Database(settings.database_url)
    waiting = messages(db)
    assert [(m.channel, m.status) for m in waiting] == [("smtp", "queued"), ("webhook", "queued")]
    assert all(m.attempts == 1 and m.last_error for m in waiting)
    with db.session() as session:
        pages = {p.id: p for p in session.query(Page)}
    # On the FHIR server: each page an active CommunicationRequest, each message a Communication in progress.
    for message in waiting:
        page = pages[message.page_id]
        request = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
        assert request["status"] == "active"
        [held] = communications(gateway, settings, page, message)
        assert f"Communication/{held['id']}" == message.communication_ref
        assert held["status"] == "in-progress" and "sent" not in held
        assert held["basedOn"] == [{"reference": page.fhir_request_ref}]

    # The kiosk restarts: a new app on the same database still holds both pages, waiting.
    with app.app_context():
        database().dispose()
    restarted = kiosk_app(settings)
    screen = sign_in_client(restarted.test_client(), Role.UNIT_SECRETARY).get("/paging/").get_data(as_text=True)
    assert screen.count("Waiting to be sent") == 2 and "Escalation is not running" in screen

    # The receivers come up; the scheduler sends each message once, and later runs send nothing more.
    smtp.start()
    webhook.start()
    try:
        workdir = tmp_path / "sched"
        run = start_scheduler(scheduler_env(env | {"KIOSK_FHIR_BASE_URL": settings.fhir.base_url,
                                                   "KIOSK_DATABASE_URL": settings.database.url},
                                            write_schedule(workdir, text=FAST_PAGING)), workdir)
        scheduler_runs.append(run)
        mails = smtp.wait_for(1, timeout=30)
        posts = webhook.wait_for(1, timeout=30)
        log = run.wait_for("0 due, 0 sent", timeout=30)
        run.wait_for("Ran paging (schedule)", after=len(log), timeout=30)
        assert run.stop() == 0
        again = start_scheduler(scheduler_env(env | {"KIOSK_FHIR_BASE_URL": settings.fhir.base_url,
                                                     "KIOSK_DATABASE_URL": settings.database.url},
                                              write_schedule(tmp_path / "again", text=FAST_PAGING)),
                                tmp_path / "again", name="again")
        scheduler_runs.append(again)
        again.wait_for("Ran paging (schedule)", timeout=30)
        assert again.stop() == 0
        assert len(smtp.mails) == 1 and len(webhook.received) == 1
    finally:
        smtp.stop()
        webhook.stop()
    sent = messages(db)
    assert [m.status for m in sent] == ["sent", "sent"]
    # The scheduler recorded the sends: the same Communications (none doubled), now completed, with the time.
    for before, after in zip(waiting, sent, strict=True):
        page = pages[after.page_id]
        [held] = communications(gateway, settings, page, after)
        assert f"Communication/{held['id']}" == before.communication_ref == after.communication_ref
        assert held["status"] == "completed" and held["sent"]
        assert held["meta"]["versionId"] != before.communication_version
        assert gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])["status"] == "active"
    assert mails[0].body.strip() == sent[0].body and mails[0].recipients == [sent[0].address]
    post = posts[0]
    assert post.signature_ok and post.headers["Idempotency-Key"] == post.json["id"]
    assert post.json["text"] == sent[1].body and post.json["to"]["system"] == "other"
    assert post.json["ackUrl"].startswith("http://kiosk.test/paging/a/")
    assert "Traceback" not in run.log() + again.log()


@pytest.fixture
def config_for(demo_settings: Settings, tmp_path: Path) -> Callable[..., tuple[PagingConfig, Database]]:
    def make(**env: str) -> tuple[PagingConfig, Database]:
        settings = make_settings(demo_settings.fhir.base_url, tmp_path / "service.db", **env)
        db = Database(settings.database_url)
        db.upgrade()
        return PAGING_FILE.read(settings), db

    return make


def _page(paging: Paging, recipient_ref: str = "PractitionerRole/x", channel: str = "smtp",
          address: str = "5550101@pager.riverside.example") -> int:
    """A page written straight through the service (these tests are about the outbox, not the screen)."""
    request = PageRequest(new_public_id(), Draft("urgent", "call-unit", "", "4321"),
                          Recipient(recipient_ref, "Dr. Test", "Attending physician"),
                          Route(channel, address, "pager", "555-0101"), "4W-NS-1")
    return paging.create(request)[1]


def test_a_send_cut_off_after_the_message_left_is_never_sent_again(config_for: Callable[..., tuple[PagingConfig,
                                                                                                  Database]]) -> None:
    dropping = DroppingSmtp().start()
    try:
        config, db = config_for(**paging_env(dropping.port))
        now = [utcnow()]
        paging = Paging(db, config, "secret", clock=lambda: now[0])
        message_id = _page(paging)
        outcome = paging.send(message_id)
        assert outcome.status is MessageStatus.UNKNOWN and "may or may not" in outcome.message
        now[0] += timedelta(hours=1)
        summary = paging.outbox.retry_due()
        assert summary.due == 0 and paging.send(message_id).claimed is False
        assert dropping.messages == 1
    finally:
        dropping.stop()
    assert messages(db)[0].status == "unknown"


def test_a_sender_that_stopped_mid_send_leaves_the_message_for_a_person(
        config_for: Callable[..., tuple[PagingConfig, Database]], smtp: SmtpSink) -> None:
    config, db = config_for(**paging_env(smtp.port))
    now = [utcnow()]

    def dies(_message: Outgoing, _config: PagingConfig) -> str:
        raise KeyboardInterrupt  # the process is stopped while the message is on its way

    dying = Paging(db, config, "secret", clock=lambda: now[0], deliver=dies)
    message_id = _page(dying)
    with pytest.raises(KeyboardInterrupt):
        dying.send(message_id)
    assert messages(db)[0].status == "sending"
    restarted = Paging(db, config, "secret", clock=lambda: now[0])
    assert restarted.outbox.retry_due().abandoned_claims == 0  # not stale yet: still someone's
    now[0] += timedelta(seconds=config.settings.retry.stale_claim_seconds + 1)
    summary = restarted.outbox.retry_due()
    assert summary.abandoned_claims == 1 and summary.sent == 0
    assert messages(db)[0].status == "unknown" and smtp.mails == []


def test_smtp_and_webhook_answers_decide_retry_failure_or_check(
        config_for: Callable[..., tuple[PagingConfig, Database]], smtp: SmtpSink, webhook: WebhookReceiver) -> None:
    config, db = config_for(**paging_env(smtp.port, webhook.url))
    now = [utcnow()]
    paging = Paging(db, config, "secret", clock=lambda: now[0])
    smtp.rcpt_reply = "451 4.3.0 try again later"
    later = _page(paging)
    assert paging.send(later).status is MessageStatus.QUEUED
    smtp.rcpt_reply = "550 5.1.1 no such pager"
    refused = _page(paging)
    assert paging.send(refused).status is MessageStatus.FAILED
    smtp.rcpt_reply = None
    now[0] += timedelta(seconds=config.settings.retry.first_delay_seconds)
    assert paging.outbox.retry_due().sent == 1 and len(smtp.mails) == 1

    webhook.status = 503
    busy = _page(paging, channel="webhook", address="securechat:lena.ortiz")
    assert paging.send(busy).status is MessageStatus.QUEUED
    webhook.status = 400
    bad = _page(paging, channel="webhook", address="securechat:nobody")
    assert paging.send(bad).status is MessageStatus.FAILED
    webhook.status = 500
    broken = _page(paging, channel="webhook", address="securechat:owen.clarke")
    assert paging.send(broken).status is MessageStatus.UNKNOWN
    webhook.status = 200
    now[0] += timedelta(seconds=config.settings.retry.first_delay_seconds)
    summary = paging.outbox.retry_due()
    assert (summary.due, summary.sent) == (1, 1)
    assert [r.json["to"]["value"] for r in webhook.received] == [
        "securechat:lena.ortiz", "securechat:nobody", "securechat:owen.clarke", "securechat:lena.ortiz"]
    statuses = {m.id: m.status for m in messages(db)}
    assert [statuses[i] for i in (later, refused, busy, bad, broken)] == ["sent", "failed", "sent", "failed",
                                                                          "unknown"]
