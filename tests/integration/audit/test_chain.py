"""The audit trail is tamper-evident on SQLite and PostgreSQL: rewrites are refused by the database,
and a row changed, removed or added behind the kiosk's back (triggers dropped) is named by verify."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from kiosk.audit.chain import verify
from kiosk.audit.services import Actor, append, append_intent, append_outcome
from kiosk.db import Database

ROOT = Path(__file__).resolve().parents[3]
DANA = Actor(badge="100001", name="Dana Reyes", role="unit_secretary")
COLUMNS = "id, at, station, actor_badge, actor_name, actor_role, action, outcome, patient, entity, detail, " \
          "intent_id, chain_seq, row_hash"


def _rows(database: Database, count: int = 5) -> list[int]:
    ids = []
    with database.session() as s:
        for n in range(count):
            ids.append(append(s, station="4W-NS-1", actor=DANA, action="view-patient", patient=f"Patient/{n}",
                              detail="bed board panel").id)
    return ids


def _sql(database: Database, *statements: str) -> None:
    with database.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _lift_triggers(database: Database) -> None:
    """What someone with the database file or a superuser login can do: the triggers go."""
    if database.engine.dialect.name == "sqlite":
        _sql(database, *(f"DROP TRIGGER {name}" for name in
                         ("audit_record_no_update", "audit_record_no_delete", "audit_record_no_replace")))
    else:
        _sql(database, "ALTER TABLE audit_record DISABLE TRIGGER USER")


def _verify(database: Database):  # type: ignore[no-untyped-def]
    with database.session() as s:
        return verify(s)


def test_concurrent_appends_make_one_unbroken_chain(any_database: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with any_database.session() as s:
                    if i % 3 == 0:
                        intent = append_intent(s, station=f"S{n}", actor=DANA, action="fhir-write")
                        append_outcome(s, intent.id, "success")
                    else:
                        append(s, station=f"S{n}", actor=DANA, action="sign-in")
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = _verify(any_database)
    assert report.ok, report.problems
    assert report.rows == 4 * (10 + 5 * 2)


def test_replace_upsert_update_delete_and_truncate_are_refused(any_database: Database) -> None:
    _rows(any_database, 3)
    if any_database.engine.dialect.name == "sqlite":
        attempts = [
            f"INSERT OR REPLACE INTO audit_record ({COLUMNS}) SELECT id, at, station, actor_badge, actor_name, "
            "actor_role, action, outcome, patient, entity, 'rewritten', intent_id, chain_seq, row_hash "
            "FROM audit_record WHERE id = 2",
            f"REPLACE INTO audit_record ({COLUMNS}) SELECT {COLUMNS} FROM audit_record WHERE id = 2",
            f"INSERT INTO audit_record ({COLUMNS}) SELECT {COLUMNS} FROM audit_record WHERE id = 2 "
            "ON CONFLICT(id) DO UPDATE SET detail = 'rewritten'",
            "INSERT OR REPLACE INTO audit_record (at, station, action, outcome, chain_seq) "
            "VALUES ('2026-01-01 00:00:00', 'x', 'sign-in', 'success', 2)",
        ]
    else:
        attempts = [
            f"INSERT INTO audit_record ({COLUMNS}) SELECT {COLUMNS} FROM audit_record WHERE id = 2 "
            "ON CONFLICT (id) DO UPDATE SET detail = 'rewritten'",
            "TRUNCATE audit_record",
        ]
    attempts += ["UPDATE audit_record SET detail = 'rewritten' WHERE id = 2", "DELETE FROM audit_record WHERE id = 2"]
    for statement in attempts:
        with pytest.raises(DatabaseError, match="append-only"):
            _sql(any_database, statement)
    report = _verify(any_database)
    assert report.ok and report.rows == 3


def test_a_rewritten_row_is_named_by_verify_and_the_command_fails(any_database: Database) -> None:
    ids = _rows(any_database)
    _lift_triggers(any_database)
    _sql(any_database, f"UPDATE audit_record SET patient = 'Patient/someone-else' WHERE id = {ids[2]}")
    report = _verify(any_database)
    assert not report.ok and report.first_broken == ids[2]
    assert f"row #{ids[2]} (position 3) does not match its hash" in report.summary()
    assert any("triggers" in p or "trigger(s)" in p for p in report.problems)  # the dropped triggers, too
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_DATABASE_URL": any_database.url, "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production"}
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "audit", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"row #{ids[2]} (position 3) does not match its hash" in done.stdout


def test_a_row_rehashed_after_a_rewrite_breaks_the_next_one(any_database: Database) -> None:
    ids = _rows(any_database)
    _lift_triggers(any_database)
    _sql(any_database, f"UPDATE audit_record SET row_hash = '{'a' * 64}' WHERE id = {ids[1]}")
    report = _verify(any_database)
    assert report.first_broken == ids[1] and f"row #{ids[2]}" in " ".join(report.problems)


def test_deleted_rows_are_detected_in_the_middle_and_at_the_end(any_database: Database) -> None:
    ids = _rows(any_database)
    _lift_triggers(any_database)
    _sql(any_database, f"DELETE FROM audit_record WHERE id = {ids[1]}")
    report = _verify(any_database)
    assert report.first_broken == ids[2]
    assert f"1 row(s) are missing after row #{ids[0]} (position 1)" in report.summary()
    _sql(any_database, f"DELETE FROM audit_record WHERE id = {ids[4]}")
    assert "the newest 1 row(s) after position 4 are missing" in " ".join(_verify(any_database).problems)


def test_a_row_inserted_behind_the_kiosks_back_is_detected(any_database: Database) -> None:
    _rows(any_database, 2)
    _sql(any_database, "INSERT INTO audit_record (at, station, action, outcome) "
                       "VALUES ('2026-01-01 00:00:00', 'x', 'sign-in', 'success')")
    report = _verify(any_database)
    assert not report.ok and "was added outside the kiosk" in report.summary()


def test_a_fresh_database_verifies(any_database: Database) -> None:
    report = _verify(any_database)
    assert report.ok and report.rows == 0
    with any_database.engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM audit_chain")).scalar_one() == 0


def test_an_entitys_words_are_covered_by_the_hash_and_rows_without_them_still_verify(any_database: Database) -> None:
    ids = _rows(any_database, 2)
    with any_database.session() as s:
        ids.append(append(s, station="4W-NS-1", actor=DANA, action="fhir-write", entity="Location/b1",
                          entity_label="bed 4W-401", detail="block: wrote 4W-401 (Location/b1)").id)
    ids += _rows(any_database, 1)
    assert _verify(any_database).ok
    _lift_triggers(any_database)
    _sql(any_database, f"UPDATE audit_record SET entity_label = 'bed 4W-402' WHERE id = {ids[2]}")
    report = _verify(any_database)
    assert not report.ok and report.first_broken == ids[2]
