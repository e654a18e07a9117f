"""Staff accounts and sign-in: badge + PIN, lockout after repeated wrong PINs, sessions that lock
when the kiosk is left alone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from itertools import pairwise

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import AuthSettings

from .models import BadgeLockout, StaffAccount, StaffSession
from .roles import Role
from .throttle import ClientFailure, client_turn, count_failure, release, wait_words

#: What a PIN hash costs in production: RFC 9106's second recommended option (Argon2id, 3 passes over
#: 64 MiB, 4 lanes; argon2-cffi's default). Fixed here on purpose: no setting or environment variable can
#: lower it.
PIN_HASHING = RFC_9106_LOW_MEMORY
#: The test suite's cost (the least Argon2id allows): tests hash and check hundreds of PINs.
TEST_PIN_HASHING = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=1, memory_cost=8,
                              parallelism=1)


class _PinHasher:
    """The process's PIN hasher, with the production cost unless the test suite asked for its own.

    Why it cannot reach production by accident: the cheap cost is not a setting; only
    `use_test_pin_hashing()` selects it, only tests/conftest.py calls that, and `create_app` refuses to
    build an app that is not marked for testing while it is selected (`require_production_pin_hashing`).
    A PIN hash records its own cost, so a hash made in tests never verifies faster elsewhere.
    """

    def __init__(self, parameters: Parameters):
        self.parameters = parameters
        self.hasher = PasswordHasher.from_parameters(parameters)
        #: Verified against when a badge matches no account, so that a wrong badge costs as long as a wrong PIN.
        self.dummy_hash = self.hasher.hash("not-a-pin")


_pins = _PinHasher(PIN_HASHING)


def use_test_pin_hashing() -> None:
    """Hash PINs at the test suite's cost in this process (tests/conftest.py only; see _PinHasher)."""
    global _pins
    _pins = _PinHasher(TEST_PIN_HASHING)


def require_production_pin_hashing(testing: bool) -> None:
    """create_app's guard: an app not marked for testing never runs with the test suite's PIN cost."""
    if not testing and _pins.parameters != PIN_HASHING:
        raise RuntimeError("PIN hashing is at the test suite's cost in this process; only an app created "
                           "with testing=True may run so.")


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


#: The keypad's straight lines at least four keys long (1 2 3 / 4 5 6 / 7 8 9 / - 0 -): the middle column.
KEYPAD_LINES = ("2580", "0852")


def trivial_pin_reason(pin: str) -> str | None:
    """Why a PIN is too easy to guess, in words that do not repeat it, or None. Refused: one digit
    repeated (0000), a run up or down (1234, 4321, 7890, with 0 after 9), a short pattern repeated
    (1212, 123123), and the keypad's middle column (2580). Runs in steps of two (2468, 1357) are
    allowed: refusing every arithmetic pattern leaves too few PINs people remember."""
    if len(pin) < 2 or not pin.isdigit():
        return None
    if len(set(pin)) == 1:
        return "That PIN is one digit repeated (like 0000): too easy to guess. Choose another."
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    if steps in ({1}, {9}):
        return "That PIN is a run of digits (like 1234 or 4321): too easy to guess. Choose another."
    for size in range(2, len(pin) // 2 + 1):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return "That PIN repeats a short pattern (like 1212): too easy to guess. Choose another."
    if pin in KEYPAD_LINES:
        return "That PIN is a straight line on the keypad (like 2580): too easy to guess. Choose another."
    return None


def validate_pin(pin: str, min_length: int) -> None:
    """A PIN being set or changed: digits, long enough, and not trivial (`trivial_pin_reason`)."""
    if not pin.isdigit() or not (min_length <= len(pin) <= 12):
        raise AccountError(f"A PIN is {min_length} to 12 digits.")
    reason = trivial_pin_reason(pin)
    if reason:
        raise AccountError(reason)


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
                           practitioner_ref=practitioner_ref, active=True, pin_hash=_pins.hasher.hash(pin),
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
    account.pin_hash = _pins.hasher.hash(pin)
    account.pin_changed_at = utcnow()
    lockout = db.get(BadgeLockout, lockout_key(account.badge))
    if lockout:
        lockout.failures, lockout.locked_until, lockout.last_failure = 0, None, None
    return account


def enable_account(db: Session, badge: str) -> StaffAccount:
    """Let a disabled account sign in again (with the PIN it had; set a new one if it may be known)."""
    account = _require_account(db, badge)
    account.active = True
    return account


def locked_accounts(db: Session, now: datetime | None = None) -> list[tuple[StaffAccount, datetime]]:
    """Accounts whose badge is locked now after wrong PINs, with when the lock ends, soonest first.
    Lockouts are kept under a hash of the badge (lockout_key), so they are found from the accounts;
    a locked badge that matches no account is not listed (it may be anything scanned)."""
    now = now or utcnow()
    accounts = {lockout_key(a.badge): a for a in db.scalars(select(StaffAccount))}
    if not accounts:
        return []
    rows = db.scalars(select(BadgeLockout).where(BadgeLockout.badge.in_(accounts),
                                                 BadgeLockout.locked_until.is_not(None)))
    locked = [(accounts[r.badge], until) for r in rows if (until := _aware(r.locked_until)) and until > now]
    return sorted(locked, key=lambda pair: (pair[1], pair[0].display_name))


def unlock_badge(db: Session, badge: str, now: datetime | None = None) -> bool:
    """End a badge's lockout at once and forget its wrong PINs (a charge nurse who has seen the person).
    False when the badge was not locked."""
    account = _require_account(db, badge)
    lockout = db.get(BadgeLockout, lockout_key(account.badge))
    until = _aware(lockout.locked_until) if lockout else None
    if lockout is None or until is None or until <= (now or utcnow()):
        return False
    lockout.failures, lockout.locked_until, lockout.last_failure = 0, None, None
    return True


def list_accounts(db: Session) -> list[StaffAccount]:
    return list(db.scalars(select(StaffAccount).order_by(StaffAccount.role, StaffAccount.display_name)))


# ------------------------------------------------------------------ sign-in


class SignInOutcome(Enum):
    OK = "ok"
    REFUSED = "refused"
    BADGE_LOCKED = "badge-locked"
    #: Too many wrong PINs from this client across badges: this attempt was not checked.
    CLIENT_WAIT = "client-wait"
    #: The right PIN of a disabled account (the screen says no more than for a wrong one).
    ACCOUNT_DISABLED = "account-disabled"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    staff: StaffMember | None = None
    locked_until: datetime | None = None
    #: True when this attempt is the one that locked the badge.
    just_locked: bool = False
    #: False when the PIN was not checked at all (the badge was locked already).
    pin_checked: bool = True
    #: This wrong PIN as counted for the client (kiosk station), with the wait it earned.
    client_failure: ClientFailure | None = None
    #: Seconds until this client may try again (for CLIENT_WAIT, or after a failure that earned a wait).
    wait_seconds: float = 0.0

    @property
    def message(self) -> str:
        if self.outcome is SignInOutcome.OK:
            return ""
        if self.outcome is SignInOutcome.CLIENT_WAIT:
            return (f"Too many wrong PINs at this kiosk. Wait {wait_words(self.wait_seconds)}, then try again; "
                    "the administrators have been told.")
        if self.outcome is SignInOutcome.BADGE_LOCKED:
            text = ("Too many attempts with this badge. It is locked for a few minutes; try again later, "
                    "or ask the charge nurse to unlock it on the Staff page.")
        else:
            text = "Badge or PIN not accepted. Try again."
        if self.wait_seconds:
            text += f" Too many wrong PINs at this kiosk: wait {wait_words(self.wait_seconds)} before the next try."
        return text


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
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=locked_until, pin_checked=False)
    window = timedelta(seconds=max(rules.badge_lockout_seconds, 900))
    attempts, locked_until = _count_attempt(db, key, now, window)
    if (locked_until and locked_until > now) or attempts > rules.max_pin_failures:
        # Parallel attempts past the limit are refused without spending a PIN check.
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=locked_until, pin_checked=False)
    account = find_account(db, badge)
    try:
        ok = _pins.hasher.verify(account.pin_hash if account else _pins.dummy_hash, pin) and account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and account is not None and account.active:
        db.execute(update(BadgeLockout).where(BadgeLockout.badge == key)
                   .values(failures=0, locked_until=None, last_failure=None))
        if _pins.hasher.check_needs_rehash(account.pin_hash):
            account.pin_hash = _pins.hasher.hash(pin)
        return SignInResult(SignInOutcome.OK, staff=StaffMember.of(account))
    if ok and account is not None:
        return SignInResult(SignInOutcome.ACCOUNT_DISABLED)
    if attempts >= rules.max_pin_failures:
        until = now + timedelta(seconds=rules.badge_lockout_seconds)
        db.execute(update(BadgeLockout).where(BadgeLockout.badge == key)
                   .values(failures=0, locked_until=until, last_failure=None))
        return SignInResult(SignInOutcome.BADGE_LOCKED, locked_until=until, just_locked=True)
    return SignInResult(SignInOutcome.REFUSED)


def attempt_pin(db: Session, badge: str, pin: str, rules: AuthSettings, client: str,
                now: datetime | None = None) -> SignInResult:
    """A PIN typed at `client` (sign-in or unlock): the client's limit across badges first (an attempt
    during its wait is refused unchecked), then the badge's (check_pin). Every attempt that does not
    sign in counts against the client."""
    now = now or utcnow()
    turn = client_turn(db, client, rules, now)
    if not turn.allowed:
        assert turn.retry_at is not None
        return SignInResult(SignInOutcome.CLIENT_WAIT, wait_seconds=(turn.retry_at - now).total_seconds())
    result = check_pin(db, badge, pin, rules, now)
    if result.outcome is SignInOutcome.OK:
        release(db, client, turn)
        return result
    failure = count_failure(db, client, rules, now)
    return replace(result, client_failure=failure, wait_seconds=float(failure.wait_seconds))


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


class Activity(Enum):
    """What a request says about the person at the screen."""

    #: A page opened, a form sent, a button's htmx request: someone is there.
    USER = "user"
    #: A timer's refresh of a polled fragment: says nothing about anyone.
    POLL = "poll"
    #: The page's heartbeat: it saw touches but made no request (someone typing a long form). Believed
    #: only within auth.touch_grace_seconds of the last USER request.
    TOUCH_REPORT = "touch-report"


def last_sign_of_life(session: StaffSession, rules: AuthSettings) -> datetime:
    """The last moment the server believes someone was at the screen: the last real request, or a later
    touch report, but never more than touch_grace_seconds after that request."""
    last = _aware(session.last_activity) or _aware(session.started_at)
    assert last is not None
    reported = _aware(session.touch_reported_at)
    if reported is None or reported <= last:
        return last
    return min(reported, last + timedelta(seconds=rules.touch_grace_seconds))


def load_session(db: Session, session_id: str | None, rules: AuthSettings, now: datetime | None = None,
                 activity: Activity = Activity.USER) -> SessionState | None:
    """The live session for a cookie's id, or None (unknown, ended, expired, or account disabled).

    The server measures idleness itself: only USER requests move `last_activity`; polls move nothing
    and touch reports are believed for a bounded time (last_sign_of_life). Nothing the page says about
    its own idle time is read. A session idle past the limit is locked, whatever the browser does.
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
    if not session.locked and now - last_sign_of_life(session, rules) >= timedelta(seconds=rules.idle_lock_seconds):
        session.locked = True
    if not session.locked:
        if activity is Activity.USER:
            session.last_activity, session.touch_reported_at = now, None
        elif activity is Activity.TOUCH_REPORT:
            session.touch_reported_at = now
    return SessionState(session=session, staff=StaffMember.of(account), locked=session.locked)


def lock_session(session: StaffSession, return_to: str | None = None) -> None:
    session.locked = True
    if return_to:
        session.return_to = return_to


def unlock_session(session: StaffSession, now: datetime | None = None) -> None:
    session.locked = False
    session.last_activity, session.touch_reported_at = now or utcnow(), None


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
    ("100007", "Jordan Blake", Role.TRANSPORTER, "3141", None),
    ("100008", "Rosa Mendes", Role.HOUSEKEEPER, "5926", None),
)


def ensure_demo_staff(db: Session, practitioner_system: str) -> list[StaffAccount]:
    """Create the demo accounts that do not exist yet; existing ones are left as they are."""
    created = []
    for badge, name, role, pin, practitioner in DEMO_STAFF:
        if find_account(db, badge) is None:
            ref = f"Practitioner?identifier={practitioner_system}|{practitioner}" if practitioner else None
            created.append(add_account(db, badge=badge, display_name=name, role=role, pin=pin, practitioner_ref=ref))
    return created
