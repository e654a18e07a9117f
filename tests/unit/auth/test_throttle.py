"""Wrong PINs per client across badges, on a real (SQLite) kiosk database with explicit times."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.auth import Role
from kiosk.auth.services import SignInOutcome, add_account, attempt_pin
from kiosk.auth.throttle import acknowledge, open_alerts, wait_words
from kiosk.config import AuthSettings
from kiosk.db import Database
from tests.support.db import migrated_database

RULES = AuthSettings()
T0 = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
KIOSK = "10.20.0.31"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = migrated_database(tmp_path / "auth.db")
    with database.session() as s:
        for n in range(30):
            add_account(s, badge=f"{555000 + n}", display_name=f"Staff {n}", role=Role.UNIT_SECRETARY,
                        pin=f"{5300 + n}")
    return database


def attempt(db: Database, badge: str, pin: str, at: datetime, client: str = KIOSK):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return attempt_pin(s, badge, pin, RULES, client, at)


def test_the_guessing_run_is_slowed_to_a_crawl(db: Database) -> None:
    """The finding replayed: 176 wrong PINs over 44 sequential badges (4 each, under the badge limit)
    from one client in 66 s. Only the free allowance and a few waited-for attempts are checked."""
    outcomes: Counter[SignInOutcome] = Counter()
    for i in range(176):
        badge = f"{555000 + i // 4}"
        outcomes[attempt(db, badge, f"{1000 + i}", T0 + timedelta(seconds=i * 66 / 176)).outcome] += 1
    checked = 176 - outcomes[SignInOutcome.CLIENT_WAIT]
    # 10 free, then waits of 2, 4, 8, 16, 32 s fit in 66 s: 15 PIN checks at most, not 176.
    assert checked <= 15 and outcomes[SignInOutcome.OK] == 0


def test_a_patient_guesser_gets_about_one_try_per_leak_interval(db: Database) -> None:
    """Trying whenever allowed for a whole day: the long-run rate is one wrong PIN per
    client_failure_leak_seconds (144 a day with the defaults), plus the free allowance."""
    at, checks, end = T0, 0, T0 + timedelta(days=1)
    while at < end:
        result = attempt(db, f"{555000 + checks % 30}", "0000", at)
        if result.outcome is SignInOutcome.CLIENT_WAIT:
            at += timedelta(seconds=result.wait_seconds)
            continue
        checks += 1
        at += timedelta(seconds=1)
    # The bucket never holds more than the free allowance plus the ~10 doublings up to the longest wait.
    most_held = RULES.client_free_failures + math.ceil(math.log2(RULES.client_max_delay_seconds)) + 1
    assert checks <= 86400 // RULES.client_failure_leak_seconds + most_held  # 165 a day, not 86,400


def test_honest_typos_at_shift_change_never_wait(db: Database) -> None:
    """Thirty people sign in at one kiosk within 30 minutes; every third mistypes once first."""
    for n in range(30):
        at = T0 + timedelta(minutes=n)
        if n % 3 == 0:
            typo = attempt(db, f"{555000 + n}", "9999", at)
            assert typo.outcome is SignInOutcome.REFUSED and typo.wait_seconds == 0
        right = attempt(db, f"{555000 + n}", f"{5300 + n}", at + timedelta(seconds=5))
        assert right.outcome is SignInOutcome.OK


def test_ten_typos_in_ten_minutes_cost_nothing_and_the_eleventh_two_seconds(db: Database) -> None:
    for n in range(10):
        result = attempt(db, f"{555000 + n}", "9999", T0 + timedelta(minutes=n))
        assert result.outcome is SignInOutcome.REFUSED and result.wait_seconds == 0
    eleventh = attempt(db, "555010", "9999", T0 + timedelta(minutes=9, seconds=30))
    assert eleventh.outcome is SignInOutcome.REFUSED and eleventh.wait_seconds == 2
    assert "wait 2 seconds before the next try" in eleventh.message
    early = attempt(db, "555011", "5311", T0 + timedelta(minutes=9, seconds=31))
    assert early.outcome is SignInOutcome.CLIENT_WAIT and "Wait 1 second" in early.message
    # After the wait the right PIN works; it does not empty the bucket (no reset by one's own PIN).
    assert attempt(db, "555011", "5311", T0 + timedelta(minutes=9, seconds=33)).outcome is SignInOutcome.OK
    again = attempt(db, "555012", "9999", T0 + timedelta(minutes=9, seconds=34))
    assert again.wait_seconds == 4


def test_the_bucket_empties_with_time(db: Database) -> None:
    for n in range(14):
        attempt(db, "555000", "9999", T0 + timedelta(seconds=40 * n))
    later = T0 + timedelta(seconds=40 * 13 + RULES.client_failure_leak_seconds * 14)
    assert attempt(db, "555001", "9999", later).wait_seconds == 0


def test_other_clients_are_not_slowed(db: Database) -> None:
    for i in range(30):
        attempt(db, f"{555000 + i}", "9999", T0 + timedelta(seconds=i))
    assert attempt(db, "555001", "5301", T0 + timedelta(seconds=31)).outcome is SignInOutcome.CLIENT_WAIT
    assert attempt(db, "555001", "5301", T0 + timedelta(seconds=31), client="10.20.0.32").outcome \
        is SignInOutcome.OK


def test_parallel_attempts_past_the_allowance_get_one_check_per_wait(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for i in range(RULES.client_free_failures):
        attempt(db, f"{555000 + i}", "9999", T0)
    moment = T0 + timedelta(minutes=1)

    def one(n: int) -> SignInOutcome:
        return attempt(db, f"{555010 + n}", "9999", moment).outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, range(8)))
    assert outcomes.count(SignInOutcome.CLIENT_WAIT) == 7


def test_one_alert_per_episode_until_acknowledged(db: Database) -> None:
    for i in range(14):
        result = attempt(db, f"{555000 + i % 30}", "9999", T0 + timedelta(minutes=i))
    assert result.client_failure is not None and result.client_failure.delayed
    with db.session() as s:
        alerts = open_alerts(s)
        # 14 wrong PINs in 13 minutes, one leaked out: 3 beyond the free 10, waits of 2, 4 and 8 s.
        assert [(a.client, a.failures, a.longest_wait_seconds) for a in alerts] == [(KIOSK, 3, 8)]
        assert acknowledge(s, alerts[0].id, "Lee Park", T0 + timedelta(hours=1)) is not None
    attempt(db, "555020", "9999", T0 + timedelta(minutes=15))
    with db.session() as s:
        assert [a.failures for a in open_alerts(s)] == [1]  # a new episode, a new alert


def test_waits_read_as_words() -> None:
    assert [wait_words(s) for s in (0.2, 1, 2, 89, 90, 900)] == ["1 second", "1 second", "2 seconds", "89 seconds",
                                                                  "2 minutes", "15 minutes"]
