"""Wrong PINs per client across badges: a growing wait, and an alert for administrators.

The per-badge lockout stops guessing one badge's PIN, but badge numbers are sequential: a client that
tries four PINs on each of many badges never locks any of them. So every client (a kiosk station: one
address; behind a proxy, the address it forwards) also has a leaky bucket of wrong PINs. The first
`client_free_failures` cost nothing (a few people's typos at shift change never slow anyone); each wrong
PIN beyond makes the next attempt from that client wait 2, 4, 8 ... seconds, up to
`client_max_delay_seconds`; one wrong PIN leaks out every `client_failure_leak_seconds`. A right PIN
does not empty the bucket (an insider could otherwise reset it between guesses with their own PIN).
Nothing here sleeps: an attempt during the wait is refused at once, without a PIN check. The numbers are
argued in docs/decisions.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import AuthSettings

from .models import SignInAlert, SignInClient


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class ClientTurn:
    """May the client try a PIN now? If not, `retry_at` says when. `claimed` is the wait this attempt
    holds while its PIN is checked (a client past its free failures gets one attempt per wait)."""

    retry_at: datetime | None
    claimed: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.retry_at is None


@dataclass(frozen=True)
class ClientFailure:
    """A wrong PIN counted for the client: the bucket's level after it and the wait it imposes."""

    client: str
    level: int
    wait_seconds: int
    alert_id: int | None

    @property
    def delayed(self) -> bool:
        return self.wait_seconds > 0


def _row(db: Session, client: str) -> SignInClient:
    row = db.get(SignInClient, client)
    if row is None:
        try:
            with db.begin_nested():
                db.add(SignInClient(client=client, tat=0.0, wait_until=None))
        except IntegrityError:
            pass  # another request created it first
        row = db.get(SignInClient, client)
        assert row is not None
    return row


def _level(tat: float, now: datetime, leak: int) -> int:
    return max(0, math.ceil((tat - now.timestamp()) / leak - 1e-9))


def client_turn(db: Session, client: str, rules: AuthSettings, now: datetime) -> ClientTurn:
    row = _row(db, client)
    wait = _aware(row.wait_until)
    if wait is not None and wait > now:
        return ClientTurn(retry_at=wait)
    if _level(row.tat, now, rules.client_failure_leak_seconds) < rules.client_free_failures:
        return ClientTurn(retry_at=None)
    # Past the free failures: one attempt per wait. Claimed in one UPDATE, so that attempts sent at the
    # same moment cannot all pass; the claim lasts until this attempt's PIN is checked.
    hold = now + timedelta(seconds=rules.client_max_delay_seconds)
    claimed = db.execute(update(SignInClient)
                         .where(SignInClient.client == client,
                                or_(SignInClient.wait_until.is_(None), SignInClient.wait_until <= now))
                         .values(wait_until=hold).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.refresh(row)
        return ClientTurn(retry_at=_aware(row.wait_until) or hold)
    return ClientTurn(retry_at=None, claimed=hold)


def release(db: Session, client: str, turn: ClientTurn) -> None:
    """A right PIN: the wait this attempt claimed is lifted (the bucket keeps its wrong PINs)."""
    if turn.claimed is not None:
        db.execute(update(SignInClient).where(SignInClient.client == client, SignInClient.wait_until == turn.claimed)
                   .values(wait_until=None).execution_options(synchronize_session=False))


def count_failure(db: Session, client: str, rules: AuthSettings, now: datetime) -> ClientFailure:
    """Add one wrong PIN to the client's bucket (atomically: parallel failures each count) and set the
    wait it earns; past the free failures, raise or extend the administrators' alert."""
    leak = rules.client_failure_leak_seconds
    t = now.timestamp()
    _row(db, client)
    tat = db.execute(update(SignInClient).where(SignInClient.client == client)
                     .values(tat=case((SignInClient.tat < t, t), else_=SignInClient.tat) + leak)
                     .returning(SignInClient.tat).execution_options(synchronize_session=False)).scalar_one()
    level = _level(tat, now, leak)
    over = level - rules.client_free_failures
    wait = 0 if over <= 0 else min(rules.client_max_delay_seconds, 2 ** min(over, 30))
    db.execute(update(SignInClient).where(SignInClient.client == client)
               .values(wait_until=now + timedelta(seconds=wait) if wait else None)
               .execution_options(synchronize_session=False))
    alert_id = _raise_alert(db, client, wait, now) if wait else None
    return ClientFailure(client=client, level=level, wait_seconds=wait, alert_id=alert_id)


def _raise_alert(db: Session, client: str, wait: int, now: datetime) -> int:
    alert = db.scalar(select(SignInAlert).where(SignInAlert.client == client, SignInAlert.acknowledged_at.is_(None))
                      .order_by(SignInAlert.id.desc()).limit(1))
    if alert is None:
        alert = SignInAlert(client=client, started_at=now, last_at=now, failures=0, longest_wait_seconds=0)
        db.add(alert)
    alert.last_at = now
    alert.failures += 1
    alert.longest_wait_seconds = max(alert.longest_wait_seconds, wait)
    db.flush()
    return alert.id


def open_alerts(db: Session) -> list[SignInAlert]:
    """Alerts no administrator has acknowledged yet, newest first."""
    return list(db.scalars(select(SignInAlert).where(SignInAlert.acknowledged_at.is_(None))
                           .order_by(SignInAlert.last_at.desc())))


def acknowledge(db: Session, alert_id: int, by: str, now: datetime) -> SignInAlert | None:
    alert = db.get(SignInAlert, alert_id)
    if alert is None or alert.acknowledged_at is not None:
        return None
    alert.acknowledged_at, alert.acknowledged_by = now, by
    return alert


def wait_words(seconds: float) -> str:
    """'2 seconds', '1 minute', '15 minutes': how long to wait, as the screen says it."""
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
