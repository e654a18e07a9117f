"""The audit trail's hash chain: every row carries the SHA-256 of its content and of the row before
it, so a row rewritten, inserted or removed outside the kiosk shows up in `kiosk audit verify`.

One chain for the whole database (all stations), in the order rows are committed. Its head (the
newest position and hash) is one row in `audit_chain`; a new audit row moves the head in the same
transaction, and the first statement of that is an UPDATE of the head row: on PostgreSQL it locks the
row until commit, so concurrent kiosk instances append one after the other; on SQLite it takes the
database's write lock, which does the same. See docs/decisions.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

from .models import AuditChain, AuditRecord

#: The hash before the first row.
GENESIS = "0" * 64
HEAD_ID = 1
#: Content version, hashed with every row: a later change of what is hashed gets a new one.
FORMAT = "v1"
#: The database triggers that keep the trail append-only (verify checks they are still there).
SQLITE_TRIGGERS = frozenset({"audit_record_no_update", "audit_record_no_delete", "audit_record_no_replace"})
POSTGRES_TRIGGERS = frozenset({"audit_record_append_only", "audit_record_no_truncate"})


def _utc_text(at: datetime) -> str:
    """The instant as stored (SQLite keeps no zone; the kiosk writes UTC) in one spelling."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def row_hash(previous: str, seq: int, values: dict[str, Any]) -> str:
    """SHA-256 (hex) of the previous row's hash and this row's content (`values` keyed by column)."""
    content = [FORMAT, previous, seq, _utc_text(values["at"]), values["station"], values["actor_badge"],
               values["actor_name"], values["actor_role"], values["action"], values["outcome"], values["patient"],
               values["entity"], values["detail"], values["intent_id"]]
    if values.get("entity_label") is not None:  # rows from before labels were kept hash as they always did
        content.append(values["entity_label"])
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


HASHED = ("at", "station", "actor_badge", "actor_name", "actor_role", "action", "outcome", "patient", "entity",
          "detail", "intent_id")
#: The columns a row's hash covers today: HASHED (as the chain's migration, auth_0004, reads them) and the
#: entity's words (auth_0006), covered only when a row has them.
HASHED_NOW = (*HASHED, "entity_label")


def link(db: Session, row: AuditRecord) -> None:
    """Give a new row its place and hash, and move the chain's head to it, in the caller's transaction.

    The head is moved first (UPDATE), then read: the UPDATE holds the head row (PostgreSQL) or the
    write lock (SQLite) until commit, so no other transaction can take the same place."""
    db.execute(update(AuditChain).where(AuditChain.id == HEAD_ID).values(seq=AuditChain.seq + 1)
               .execution_options(synchronize_session=False))
    seq, previous = db.execute(select(AuditChain.seq, AuditChain.hash).where(AuditChain.id == HEAD_ID)).one()
    row.chain_seq = seq
    row.row_hash = row_hash(previous, seq, {name: getattr(row, name) for name in HASHED_NOW})
    db.add(row)
    db.flush()
    db.execute(update(AuditChain).where(AuditChain.id == HEAD_ID).values(hash=row.row_hash)
               .execution_options(synchronize_session=False))


# ------------------------------------------------------------------ verify


@dataclass
class ChainReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    #: The id of the first row found broken (in chain order), if one is.
    first_broken: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.rows} rows, each hash checked"
        return f"audit trail BROKEN: {self.problems[0]}" + (
            f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else "")

    def _broken(self, row_id: int | None, problem: str) -> None:
        if self.first_broken is None and row_id is not None:
            self.first_broken = row_id
        self.problems.append(problem)


def installed_triggers(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        return set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                     "AND tbl_name = 'audit_record'")))
    if conn.dialect.name == "postgresql":
        return set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_record'::regclass "
                                     "AND NOT tgisinternal AND tgenabled <> 'D'")))
    return set()


def expected_triggers(dialect: str) -> frozenset[str]:
    return {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, frozenset())


def verify(db: Session, batch: int = 2000) -> ChainReport:
    """Walk the chain in order, recompute every hash, and compare the end with the head; also check
    that the triggers that refuse changes are in place. Names the first broken row."""
    report = ChainReport()
    outside = db.scalar(select(AuditRecord.id).where(AuditRecord.chain_seq.is_(None)).order_by(AuditRecord.id)
                        .limit(1))
    if outside is not None:
        report._broken(outside, f"row #{outside} was added outside the kiosk (it has no place in the chain)")
    columns = [AuditRecord.id, AuditRecord.chain_seq, AuditRecord.row_hash,
               *(getattr(AuditRecord, c) for c in HASHED_NOW)]
    stmt = (select(*columns).where(AuditRecord.chain_seq.is_not(None)).order_by(AuditRecord.chain_seq)
            .execution_options(yield_per=batch))
    previous, last_seq, last_id = GENESIS, 0, None
    for row in db.execute(stmt):
        values = row._mapping
        seq = values["chain_seq"]
        if seq != last_seq + 1:
            after = f"after row #{last_id} (position {last_seq})" if last_id is not None else "at the start"
            report._broken(values["id"], f"{seq - last_seq - 1} row(s) are missing {after}: the next is "
                                         f"row #{values['id']} at position {seq}")
        if row_hash(previous, seq, dict(values)) != values["row_hash"]:
            report._broken(values["id"], f"row #{values['id']} (position {seq}) does not match its hash: it was "
                                         "changed, or a row before it was")
        previous, last_seq, last_id = values["row_hash"], seq, values["id"]
        report.rows += 1
    head = db.execute(select(AuditChain.seq, AuditChain.hash).where(AuditChain.id == HEAD_ID)).first()
    if head is None:
        report.problems.append("the chain's head row is missing")
    elif (head.seq, head.hash) != (last_seq, previous):
        if head.seq > last_seq:
            report._broken(last_id, f"the newest {head.seq - last_seq} row(s) after position {last_seq} are missing")
        else:
            report._broken(last_id, "the chain's head does not match its newest row (position "
                                    f"{last_seq}): rows were added or changed outside the kiosk")
    conn = db.connection()
    missing = sorted(expected_triggers(conn.dialect.name) - installed_triggers(conn))
    if missing:
        report.problems.append(f"the database trigger(s) {', '.join(missing)} that keep the trail append-only "
                               "are missing or disabled")
    return report


VERIFY_JOB = "audit-verify"


def chain_alarm(db: Session) -> str | None:
    """What the newest scheduled check of the chain found, when it found it broken (None when it passed
    or has not run)."""
    from kiosk.scheduler.requests import last_run

    last = last_run(db, VERIFY_JOB)
    if last is None or last.ok:
        return None
    return last.summary
