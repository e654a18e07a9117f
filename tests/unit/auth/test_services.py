"""Badge + PIN checks, lockout and idle locking, on a real (SQLite) kiosk database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.auth import Role
from kiosk.auth.roles import roles_phrase
from kiosk.auth.services import (
    AccountError,
    Activity,
    SignInOutcome,
    add_account,
    check_pin,
    disable_account,
    load_session,
    reset_pin,
    start_session,
    trivial_pin_reason,
)
from kiosk.config import AuthSettings
from kiosk.db import Database
from tests.support.db import migrated_database

RULES = AuthSettings(idle_lock_seconds=180, max_pin_failures=5, badge_lockout_seconds=300)
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = migrated_database(tmp_path / "auth.db")
    with database.session() as s:
        add_account(s, badge="555001", display_name="Dana Reyes", role=Role.UNIT_SECRETARY, pin="2468")
    return database


def test_right_pin_signs_in_and_pins_are_stored_hashed(db: Database) -> None:
    with db.session() as s:
        result = check_pin(s, " 555001 ", "2468", RULES, T0)
        assert result.outcome is SignInOutcome.OK and result.staff is not None
        assert result.staff.display_name == "Dana Reyes" and result.staff.role is Role.UNIT_SECRETARY
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT pin_hash FROM staff_account").scalar_one()
    assert "2468" not in stored and stored.startswith("$argon2")


def test_five_wrong_pins_lock_the_badge_for_five_minutes(db: Database) -> None:
    with db.session() as s:
        outcomes = [check_pin(s, "555001", "0000", RULES, T0 + timedelta(seconds=i)) for i in range(5)]
    assert [o.outcome for o in outcomes[:4]] == [SignInOutcome.REFUSED] * 4
    assert outcomes[4].outcome is SignInOutcome.BADGE_LOCKED and outcomes[4].just_locked
    with db.session() as s:
        # Even the right PIN is refused while the badge is locked.
        assert check_pin(s, "555001", "2468", RULES, T0 + timedelta(minutes=4)).outcome is SignInOutcome.BADGE_LOCKED
        assert check_pin(s, "555001", "2468", RULES, T0 + timedelta(minutes=6)).outcome is SignInOutcome.OK


def test_messages_never_tell_which_part_was_wrong(db: Database) -> None:
    with db.session() as s:
        wrong_pin = check_pin(s, "555001", "1111", RULES, T0)
        unknown_badge = check_pin(s, "999999", "2468", RULES, T0)
    assert wrong_pin.message == unknown_badge.message == "Badge or PIN not accepted. Try again."
    with db.session() as s:
        for i in range(5):
            last = check_pin(s, "999999", "1111", RULES, T0 + timedelta(seconds=i))
    assert last.outcome is SignInOutcome.BADGE_LOCKED  # unknown badges lock the same way: no probing
    assert "badge" in last.message.lower() and "PIN" not in last.message


def test_reset_pin_clears_a_lockout(db: Database) -> None:
    with db.session() as s:
        for _ in range(5):
            check_pin(s, "555001", "0000", RULES, T0)
        reset_pin(s, "555001", "13579")
        assert check_pin(s, "555001", "13579", RULES, T0).outcome is SignInOutcome.OK


def test_account_rules(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(AccountError, match="already has an account"):
            add_account(s, badge="555001", display_name="X", role=Role.UNIT_SECRETARY, pin="2046")
        with pytest.raises(AccountError, match="4 to 12 digits"):
            add_account(s, badge="555002", display_name="X", role=Role.UNIT_SECRETARY, pin="12a4")
        with pytest.raises(AccountError, match="Practitioner"):
            add_account(s, badge="555003", display_name="Dr X", role=Role.PROVIDER, pin="2046")


def _session(db: Database) -> str:
    with db.session() as s:
        staff = check_pin(s, "555001", "2468", RULES, T0).staff
        assert staff is not None
        return start_session(s, staff, T0).id


def test_a_session_left_alone_locks_on_the_server(db: Database) -> None:
    sid = _session(db)
    # Background polls say nothing about anyone: past 3 minutes without a real request -> locked.
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=170), Activity.POLL)
        assert state is not None and not state.locked
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=200), Activity.POLL)
        assert state is not None and state.locked
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=201))
        assert state is not None and state.locked  # a touch does not unlock: the PIN does


def test_polls_do_not_keep_a_session_awake(db: Database) -> None:
    sid = _session(db)
    for seconds in range(15, 180, 15):
        with db.session() as s:
            state = load_session(s, sid, RULES, T0 + timedelta(seconds=seconds), Activity.POLL)
            assert state is not None and not state.locked
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=180), Activity.POLL)
        assert state is not None and state.locked


def test_no_request_for_longer_than_the_limit_locks_even_a_touch(db: Database) -> None:
    sid = _session(db)
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(minutes=10))
        assert state is not None and state.locked


def test_touch_reports_hold_the_lock_off_for_a_bounded_time_only(db: Database) -> None:
    """A heartbeat every 10 s (a person typing a long count, or a script): believed for
    touch_grace_seconds after the last real request, then the idle limit runs out."""
    sid = _session(db)
    locked_at = None
    for seconds in range(10, 3600, 10):
        with db.session() as s:
            state = load_session(s, sid, RULES, T0 + timedelta(seconds=seconds), Activity.TOUCH_REPORT)
            assert state is not None
            if state.locked:
                locked_at = seconds
                break
    assert locked_at == RULES.touch_grace_seconds + RULES.idle_lock_seconds


def test_a_busy_person_is_not_locked_mid_form(db: Database) -> None:
    """Ten minutes of typing without a request (reported by the heartbeat), then the form is sent."""
    sid = _session(db)
    for seconds in range(20, 600, 20):
        with db.session() as s:
            state = load_session(s, sid, RULES, T0 + timedelta(seconds=seconds), Activity.TOUCH_REPORT)
            assert state is not None and not state.locked
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=610))
        assert state is not None and not state.locked
    # The sent form was a real request: the grace starts again from it.
    with db.session() as s:
        state = load_session(s, sid, RULES, T0 + timedelta(seconds=610 + 170), Activity.POLL)
        assert state is not None and not state.locked


def test_disabling_an_account_ends_its_sessions(db: Database) -> None:
    sid = _session(db)
    with db.session() as s:
        disable_account(s, "555001")
    with db.session() as s:
        assert load_session(s, sid, RULES, T0 + timedelta(seconds=5)) is None


def test_sessions_last_one_shift(db: Database) -> None:
    sid = _session(db)
    with db.session() as s:
        assert load_session(s, sid, RULES, T0 + timedelta(hours=13)) is None


def test_roles_read_as_words() -> None:
    assert roles_phrase((Role.PROVIDER,)) == "a provider"
    assert roles_phrase((Role.CHARGE_NURSE, Role.ADMINISTRATOR)) == "a charge nurse or an administrator"
    assert roles_phrase((Role.UNIT_SECRETARY,)) == "a unit secretary"


def test_parallel_wrong_pins_cannot_share_a_count(db: Database) -> None:
    """Eight wrong PINs sent at the same moment: at most the limit of them get a PIN check."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> SignInOutcome:
        with db.session() as s:
            return check_pin(s, "555001", "0000", RULES, T0).outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count(SignInOutcome.REFUSED) == RULES.max_pin_failures - 1
    assert outcomes.count(SignInOutcome.BADGE_LOCKED) == 8 - (RULES.max_pin_failures - 1)


def test_old_failures_are_forgotten(db: Database) -> None:
    with db.session() as s:
        for day in range(4):
            check_pin(s, "555001", "0000", RULES, T0 + timedelta(days=day))
        assert check_pin(s, "555001", "0000", RULES, T0 + timedelta(days=4)).outcome is SignInOutcome.REFUSED


def test_what_was_scanned_is_not_stored(db: Database) -> None:
    with db.session() as s:
        check_pin(s, "20000074", "0000", RULES, T0)  # an armband scanned at the sign-in screen
    with db.engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT badge FROM badge_lockout").scalars().all()
    assert keys and all(k.startswith("sha256:") and "20000074" not in k for k in keys)


@pytest.mark.parametrize("pin", ["1234", "0000", "4321", "1111", "2580", "0852", "7890", "0987", "1212",
                                 "123123", "98765", "5555555"])
def test_trivial_pins_are_refused_when_set_or_changed(db: Database, pin: str) -> None:
    assert trivial_pin_reason(pin) is not None
    with db.session() as s:
        with pytest.raises(AccountError, match=r"too easy to guess\. Choose another\."):
            add_account(s, badge="555009", display_name="X", role=Role.UNIT_SECRETARY, pin=pin)
        with pytest.raises(AccountError, match="too easy to guess"):
            reset_pin(s, "555001", pin)


@pytest.mark.parametrize("pin", ["2468", "1357", "8642", "9753", "3579", "8024", "3141", "13579", "2046", "1243"])
def test_pins_that_are_not_trivial_are_taken(pin: str) -> None:
    assert trivial_pin_reason(pin) is None
