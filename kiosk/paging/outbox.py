"""The paging outbox: messages written in the request, sent at once, retried with backoff by the
scheduler, never lost and never sent twice (the print queue's rules, kiosk/labels/queue.py).

- a message is stored before anything leaves (status queued): it survives a restart from then on;
- `send` claims it atomically (one UPDATE ... WHERE status = 'queued' AND due) before it leaves, so the
  web request and the scheduler's retry can never both send it;
- a channel that could not be reached leaves it queued, due again after a backoff, up to max_attempts;
- a send cut off mid-way (`Interrupted`), or a claim older than retry.stale_claim_seconds (the sender
  stopped mid-send), may have arrived: the message becomes "Check delivery" and is never sent again by
  itself. A person looks, and pages again if it did not arrive.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kiosk.db import Database

from . import channels
from .channels import Interrupted, Outgoing, Refused, Unreachable
from .models import MessageStatus, Page, PageMessage, utcnow
from .settings import PagingConfig

log = logging.getLogger("kiosk.paging")

Deliver = Callable[[Outgoing, PagingConfig], str]


@dataclass(frozen=True)
class SendOutcome:
    message_id: int
    status: MessageStatus
    message: str
    #: False when another sender had it (or it was no longer waiting): nothing was sent by this call.
    claimed: bool = True

    @property
    def sent(self) -> bool:
        return self.status is MessageStatus.SENT


@dataclass(frozen=True)
class RetrySummary:
    due: int = 0
    sent: int = 0
    still_queued: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    abandoned_claims: int = 0

    def line(self) -> str:
        return (f"paging outbox: {self.due} due, {self.sent} sent, {self.still_queued} still queued, "
                f"{self.failed} failed, {self.unknown} cut off mid-send, {self.skipped} taken by another sender, "
                f"{self.abandoned_claims} claims abandoned")


class Outbox:
    def __init__(self, database: Database, config: PagingConfig, ack_url: Callable[[str], str],
                 clock: Callable[[], datetime] = utcnow, deliver: Deliver = channels.deliver):
        self.database = database
        self.config = config
        self.ack_url = ack_url
        self.clock = clock
        self.deliver = deliver

    def _claim(self, message_id: int, now: datetime) -> str | None:
        token = uuid.uuid4().hex
        with self.database.session() as session:
            result = session.execute(
                update(PageMessage)
                .where(PageMessage.id == message_id, PageMessage.status == MessageStatus.QUEUED.value,
                       PageMessage.next_attempt_at <= now)
                .values(status=MessageStatus.SENDING.value, claim_token=token, claimed_at=now,
                        attempts=PageMessage.attempts + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return token if result.rowcount == 1 else None

    def _finish(self, message_id: int, token: str, **values: object) -> None:
        with self.database.session() as session:
            session.execute(
                update(PageMessage).where(PageMessage.id == message_id, PageMessage.claim_token == token)
                .values(claim_token=None, updated_at=self.clock(), **values)
                .execution_options(synchronize_session=False)
            )
            page_id = session.scalar(select(PageMessage.page_id).where(PageMessage.id == message_id))
            session.execute(update(Page).where(Page.id == page_id).values(fhir_pending=True, fhir_next_at=None)
                            .execution_options(synchronize_session=False))

    def _outgoing(self, message: PageMessage, page: Page) -> Outgoing:
        key = f"{page.public_id}-{message.seq}"
        return Outgoing(key=key, channel=message.channel, address=message.address,
                        telecom_system=message.telecom_system, subject=message.subject, body=message.body,
                        urgency=page.urgency, page_id=page.public_id, recipient_ref=message.recipient_ref,
                        recipient_name=message.recipient_name, callback=page.callback, ack_url=self.ack_url(key))

    def send(self, message_id: int) -> SendOutcome:
        """Claim the message and send it; record sent, queued again (with backoff), failed or unknown."""
        token = self._claim(message_id, self.clock())
        if token is None:
            with self.database.session() as session:
                found = session.get(PageMessage, message_id)
                status = found.message_status if found else MessageStatus.FAILED
            return SendOutcome(message_id, status, f"This message is not waiting to be sent ({status.label.lower()}).",
                               claimed=False)
        with self.database.session() as session:
            message = session.get(PageMessage, message_id)
            assert message is not None
            page = session.get(Page, message.page_id)
            assert page is not None
            outgoing = self._outgoing(message, page)
            attempts = message.attempts
        retry = self.config.settings.retry
        try:
            receipt = self.deliver(outgoing, self.config)
        except Unreachable as e:
            if attempts >= retry.max_attempts:
                text = f"{e.message} Gave up after {attempts} attempts."
                self._finish(message_id, token, status=MessageStatus.FAILED.value, last_error=text)
                log.warning("page message %s failed after %s attempts", message_id, attempts)
                return SendOutcome(message_id, MessageStatus.FAILED, text)
            delay = retry.delay_after(attempts)
            self._finish(message_id, token, status=MessageStatus.QUEUED.value, last_error=e.message,
                         next_attempt_at=self.clock() + timedelta(seconds=delay))
            log.info("page message %s queued: %s unreachable (attempt %s)", message_id, outgoing.channel, attempts)
            return SendOutcome(message_id, MessageStatus.QUEUED,
                               f"{e.message} The message is kept and will be sent again in {delay:.0f} seconds.")
        except Interrupted as e:
            self._finish(message_id, token, status=MessageStatus.UNKNOWN.value, last_error=e.message)
            log.warning("page message %s cut off mid-send (%s)", message_id, outgoing.channel)
            return SendOutcome(message_id, MessageStatus.UNKNOWN,
                               f"{e.message} Check with the person paged, and page again if it did not arrive.")
        except Refused as e:
            self._finish(message_id, token, status=MessageStatus.FAILED.value, last_error=e.message)
            log.warning("page message %s refused (%s)", message_id, outgoing.channel)
            return SendOutcome(message_id, MessageStatus.FAILED, e.message)
        self._finish(message_id, token, status=MessageStatus.SENT.value, sent_at=self.clock(), receipt=receipt[:200],
                     last_error=None)
        log.info("page message %s sent (%s)", message_id, outgoing.channel)
        return SendOutcome(message_id, MessageStatus.SENT, "Sent.")

    def abandon_stale_claims(self) -> int:
        """Messages whose sender stopped mid-send: they may have arrived, so a person decides."""
        now = self.clock()
        cutoff = now - timedelta(seconds=self.config.settings.retry.stale_claim_seconds)
        with self.database.session() as session:
            stale = list(session.scalars(select(PageMessage).where(
                PageMessage.status == MessageStatus.SENDING.value, PageMessage.claimed_at < cutoff)))
            for message in stale:
                message.status = MessageStatus.UNKNOWN.value
                message.claim_token = None
                message.updated_at = now
                message.last_error = ("Sending was cut off (the kiosk stopped while sending); the message may or "
                                      "may not have arrived.")
                session.execute(update(Page).where(Page.id == message.page_id).values(fhir_pending=True)
                                .execution_options(synchronize_session=False))
            return len(stale)

    def due_ids(self, limit: int = 50) -> list[int]:
        with self.database.session() as session:
            return list(session.scalars(
                select(PageMessage.id)
                .where(PageMessage.status == MessageStatus.QUEUED.value, PageMessage.next_attempt_at <= self.clock())
                .order_by(PageMessage.next_attempt_at, PageMessage.id).limit(limit)))

    def retry_due(self, limit: int = 50) -> RetrySummary:
        abandoned = self.abandon_stale_claims()
        due = self.due_ids(limit)
        counts = dict.fromkeys(MessageStatus, 0)
        skipped = 0
        for message_id in due:
            outcome = self.send(message_id)
            if outcome.claimed:
                counts[outcome.status] += 1
            else:
                skipped += 1
        return RetrySummary(len(due), counts[MessageStatus.SENT], counts[MessageStatus.QUEUED],
                            counts[MessageStatus.FAILED], counts[MessageStatus.UNKNOWN], skipped, abandoned)

    def cancel_waiting(self, page_id: int) -> int:
        """Messages of a page that have not left yet are not sent (the page was answered or cancelled)."""
        with self.database.session() as session:
            result = session.execute(
                update(PageMessage).where(PageMessage.page_id == page_id,
                                          PageMessage.status == MessageStatus.QUEUED.value)
                .values(status=MessageStatus.CANCELLED.value, updated_at=self.clock())
                .execution_options(synchronize_session=False))
            return result.rowcount
