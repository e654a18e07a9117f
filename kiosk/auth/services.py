"""Staff accounts and sign-in: badge + PIN, lockout after repeated wrong PINs, sessions that lock
when the kiosk is left alone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import AuthSettings

from .models import BadgeLockout, StaffAccount, StaffSession
from .roles import Role

_hasher = PasswordHasher()
#: Verified against when a badge matches no account, so that a wrong badge costs as long as a wrong PIN.
_DUMMY_HASH = _hasher.hash("not-a-pin")


class AccountError(Exception):
    """A staff account command could not be done; the message says why."""


@dataclass(frozen=True)
class StaffMember:
    """The signed-in person, as views and services see them."""

    id: int
    badge: str
    display_name: str
    role: Role
    practitioner_ref: str | None

    @classmethod
    def of(cls, account: StaffAccount) -> StaffMember:
        return cls(account.id, account.badge, account.display_name, Role(account.role), account.practitioner_ref)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def normalise_badge(raw: str) -> str:
    """Badge numbers as a scanner or a finger types them: trimmed, no spaces."""
    return "".join(raw.split())


def validate_pin(pin: str, min_length: int) -> None:
    if not pin.isdigit() or not (min_length <= len(pin) <= 12):
        raise AccountError(f"A PIN is {min_length} to 12 digits.")


# ------------------------------------------------------------------ accounts


def add_account(db: Session, *, badge: str, display_name: str, role: Role, pin: str,
                practitioner_ref: str | None = None, min_pin_length: int = 4) -> StaffAccount:
    badge = normalise_badge(badge)
    if not badge:
        raise AccountError("A badge number is needed.")
    if not display_name.strip():
        raise AccountError("A display name is needed.")
    validate_pin(pin, min_pin_length)
    if role is Role.PROVIDER and not practitioner_ref:
        raise AccountError("A provider account needs the FHIR Practitioner they are (--practitioner).")
    if db.scalar(select(StaffAccount).where(StaffAccount.badge == badge)):
        raise AccountError(f"Badge {badge} already has an account.")
    now = utcnow()
    account = StaffAccount(badge=badge, display_name=display_name.strip(), role=role.value,
                           practitioner_ref=practitioner_ref, active=True, pin_hash=_hasher.hash(pin),
                           created_at=now, pin_changed_at=now)
    db.add(account)
    db.flush()
    return account


def find_account(db: Session, badge: str) -> StaffAccount | None:
    return db.scalar(select(StaffAccount).where(StaffAccount.badge == normalise_badge(badge)))


def _require_account(db: Session, badge: str) -> StaffAccount:
    account = find_account(db, badge)
    if account is None:
        raise AccountError(f"No account has badge {normalise_badge(badge)}.")
    return account


def disable_account(db: Session, badge: str) -> StaffAccount:
    account = _require_account(db, badge)
    account.active = False
    for session in db.scalars(select(StaffSession).where(StaffSession.staff_id == account.id,
                                                         StaffSession.ended_at.is_(None))):
        session.ended_at = utcnow()
    return account


def reset_pin(db: Session, badge: str, pin: str, min_pin_length: int = 4) -> StaffAccount:
    account = _require_account(db, badge)
    validate_pin(pin, min_pin_length)
    account.pin_hash = _hasher.hash(pin)
    account.pin_changed_at = utcnow()
    lockout = db.get(BadgeLockout, lockout_key(account.badge))
    if lockout:
        lockout.failures, lockout.locked_until, lockout.last_failure = 0, None, None
    return account


def list_accounts(db: Session) -> list[StaffAccount]:
    return list(db.scalars(select(StaffAccount).order_by(StaffAccount.role, StaffAccount.display_name)))


# ------------------------------------------------------------------ sign-in


class SignInOutcome(Enum):
    OK = "ok"
    REFUSED = "refused"
    BADGE_LOCKED = "badge-locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    staff: StaffMember | None = None
    locked_until: datetime | None = None
    #: True when this attempt is the one that locked the badge.
    just_locked: bool = False

    @property
    def message(self) -> str:
        if self.outcome is SignInOutcome.OK:
            return ""
        if self.outcome is SignInOutcome.BADGE_LOCKED:
            return ("Too many attempts with this badge. It is locked for a few minutes; "
                    "try again later or ask the charge nurse.")
        return "Badge or PIN not accepted. Try again."


def lockout_key(badge: str) -> str:
    """Attempts are counted under a hash of what was typed or scanned: an armband scanned at the
    sign-in screen must not leave an MRN in the kiosk's tables."""
    return "sha256:" + hashlib.sha256(normalise_badge(badge).encode()).hexdigest()


def _count_attempt(db: Session, key: str, now: datetime, window: timedelta) -> tuple[int, datetime | None]:
    """Count one attempt for a badge atomically in the database (parallel attempts cannot share a
    count) and return (attempts in the current window, locked_until). Attempts older than the window
    are forgotten, so an occasional typo does not add up to a lockout over a week."""
    if db.get(BadgeLockout, key) is None:
        try:
            with db.begin_nested():
                db.add(BadgeLockout(badge=key, failures=0, locked_until=None, last_failure=None))
        except IntegrityError:
            pass  # another request created it first
    row = db.execute(
        update(BadgeLockout)
        .where(BadgeLockout.badge == key)
        .values(failures=case((BadgeLockout.last_failure < now - window, 1),
                              (BadgeLockout.last_failure.is_(None), 1),
                              else_=BadgeLockout.failures + 1),
                last_failure=now)
        .returning(BadgeLockout.failures, BadgeLockout.locked_until)
    ).one()
    return int(row[0]), _aware(row[1])


def check_pin(db: Session, badge: str, pin: str, rules: AuthSettings, now: datetime | None = None) -> SignInResult:
    """Verify a badge and PIN. Every attempt is counted per badge before the PIN is checked; past the
    limit the badge is locked for a while. The result never says whether the badge or the PIN was
    wrong."""
    now = now or utcnow()
    key = lockout_key(badge)
    current = db.get(BadgeLockout, key)
    locked_until = _aware(current.locked_until) if current else None
    if locked_until and locked_until > now:
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=locked_until)
    window = timedelta(seconds=max(rules.badge_lockout_seconds, 900))
    attempts, locked_until = _count_attempt(db, key, now, window)
    if (locked_until and locked_until > now) or attempts > rules.max_pin_failures:
        # Parallel attempts past the limit are refused without spending a PIN check.
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=locked_until)
    account = find_account(db, badge)
    try:
        ok = _hasher.verify(account.pin_hash if account else _DUMMY_HASH, pin) and account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and account is not None and account.active:
        db.execute(update(BadgeLockout).where(BadgeLockout.badge == key)
                   .values(failures=0, locked_until=None, last_failure=None))
        if _hasher.check_needs_rehash(account.pin_hash):
            account.pin_hash = _hasher.hash(pin)
        return SignInResult(SignInOutcome.OK, staff=StaffMember.of(account))
    if attempts >= rules.max_pin_failures:
        until = now + timedelta(seconds=rules.badge_lockout_seconds)
        db.execute(update(BadgeLockout).where(BadgeLockout.badge == key)
                   .values(failures=0, locked_until=until, last_failure=None))
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=until, just_locked=True)
    return SignInResult(SignInOutcome.REFUSED)


def start_session(db: Session, staff: StaffMember, now: datetime | None = None) -> StaffSession:
    now = now or utcnow()
    session = StaffSession(id=secrets.token_urlsafe(32), staff_id=staff.id, started_at=now, last_activity=now,
                           locked=False)
    db.add(session)
    return session


@dataclass(frozen=True)
class SessionState:
    session: StaffSession
    staff: StaffMember
    locked: bool


def load_session(db: Session, session_id: str | None, rules: AuthSettings, now: datetime | None = None,
                 idle_seconds: float | None = None) -> SessionState | None:
    """The live session for a cookie's id, or None (unknown, ended, expired, or account disabled).

    `idle_seconds` is how long the person has not touched the screen, as the page reports it on
    background requests; without it the request itself counts as a touch. A session idle past the
    limit is locked, on the server, whatever the browser does.
    """
    if not session_id:
        return None
    now = now or utcnow()
    session = db.get(StaffSession, session_id)
    if session is None or session.ended_at is not None:
        return None
    started = _aware(session.started_at)
    assert started is not None
    if now - started > timedelta(hours=rules.session_hours):
        session.ended_at = now
        return None
    account = db.get(StaffAccount, session.staff_id)
    if account is None or not account.active:
        session.ended_at = now
        return None
    last = _aware(session.last_activity) or started
    touched = now if idle_seconds is None else max(last, now - timedelta(seconds=max(0.0, idle_seconds)))
    limit = timedelta(seconds=rules.idle_lock_seconds)
    if not session.locked and (now - last >= limit or now - touched >= limit):
        session.locked = True
    if not session.locked:
        session.last_activity = touched
    return SessionState(session=session, staff=StaffMember.of(account), locked=session.locked)


def lock_session(session: StaffSession, return_to: str | None = None) -> None:
    session.locked = True
    if return_to:
        session.return_to = return_to


def unlock_session(session: StaffSession, now: datetime | None = None) -> None:
    session.locked = False
    session.last_activity = now or utcnow()


def end_session(session: StaffSession, now: datetime | None = None) -> None:
    session.ended_at = now or utcnow()


# ------------------------------------------------------------------ demo staff

#: One account of each role for the demo and the tests (PINs documented in the README).
DEMO_STAFF: tuple[tuple[str, str, Role, str, str | None], ...] = (
    ("100001", "Dana Reyes", Role.UNIT_SECRETARY, "2468", None),
    ("100002", "Sam Okoye", Role.CHARGE_NURSE, "1357", None),
    ("100003", "Dr. Folake Adeyemi", Role.PROVIDER, "8642", "P1001"),
    ("100004", "Lee Park", Role.ADMINISTRATOR, "9753", None),
    ("100005", "Grace Lambert", Role.NURSE, "3579", "N2001"),
    ("100006", "Tomás Ortega", Role.NURSING_ASSISTANT, "8024", "N2101"),
)


def ensure_demo_staff(db: Session, practitioner_system: str) -> list[StaffAccount]:
    """Create the demo accounts that do not exist yet; existing ones are left as they are."""
    created = []
    for badge, name, role, pin, practitioner in DEMO_STAFF:
        if find_account(db, badge) is None:
            ref = f"Practitioner?identifier={practitioner_system}|{practitioner}" if practitioner else None
            created.append(add_account(db, badge=badge, display_name=name, role=role, pin=pin, practitioner_ref=ref))
    return created
