"""One scheduler at a time: a lease row in the kiosk's database.

Why a database lease rather than a lock file under var/: with PostgreSQL the web and the scheduler
may run on different machines, where a file lock guards one machine only; the lease row is seen by
every process that shares the database, SQLite or PostgreSQL alike. Its heartbeat also tells the web
app whether a scheduler is alive, so "run check now" can say so instead of waiting for nobody.

Taking the lease is one conditional UPDATE (free, expired, or already ours), which both databases
apply atomically; the holder renews it every third of its length. A scheduler that dies without
releasing it (kill -9, power loss) is replaced once the lease has expired; one that finds it can no
longer renew (it stalled longer than the lease and another took over) stops at once.

A holder on this very machine need not be waited for: the holder name carries the machine's boot id
and the process's start time (from /proc), so a new scheduler on the same host takes over at once when
that process is gone (or is a zombie, or its pid now belongs to another process). Anything it cannot
tell for sure (another host, no /proc) waits for the lease to expire as before.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update

from kiosk import timeutil
from kiosk.db import Database

from .models import LEASE_NAME, SchedulerLease


class LeaseHeld(Exception):
    """Another scheduler holds the lease; the message says which one."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LeaseHolder:
    holder: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def describe(self, now: datetime) -> str:
        ago = max(0, int((now - self.heartbeat_at).total_seconds()))
        return (f"pid {self.pid} on {self.host}, running since "
                f"{timeutil.local(self.started_at).strftime('%Y-%m-%d %H:%M:%S')}, last heartbeat {ago} s ago")


def _now() -> datetime:
    return datetime.now(UTC)


BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str | None:
    try:
        return BOOT_ID.read_text().strip().replace("-", "")[:12] or None
    except OSError:
        return None


def _process_start(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a live process, from /proc; None if none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name in (...) may hold spaces
    return fields[0], fields[19]


def process_identity(pid: int) -> str | None:
    """`<boot id>-<start ticks>`: names one process on one boot of one machine (a reused pid differs)."""
    boot, started = _boot_id(), _process_start(pid)
    return f"{boot}-{started[1]}" if boot and started else None


def holder_is_dead_here(holder: str, host: str, pid: int, this_host: str) -> bool:
    """True only when the holder certainly ran on this machine in this boot and its process is gone:
    no such pid, a zombie, or the pid now belongs to a process started at another time."""
    identity = holder.rsplit(":", 1)[-1] if holder.count(":") >= 3 else ""
    boot = _boot_id()
    if host != this_host or not boot or not identity.startswith(f"{boot}-") or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's: the start time below tells whether it is the holder
    started = _process_start(pid)
    if started is None:
        return True
    state, ticks = started
    return state == "Z" or identity != f"{boot}-{ticks}"


def current_holder(database: Database, now: datetime | None = None, name: str = LEASE_NAME) -> LeaseHolder | None:
    """The live scheduler, or None when no scheduler holds an unexpired lease."""
    now = now or _now()
    with database.session() as session:
        row = session.get(SchedulerLease, name)
        if row is None or not row.holder or row.expires_at is None or row.expires_at <= now:
            return None
        return LeaseHolder(holder=row.holder, host=row.host or "?", pid=row.pid or 0,
                           started_at=row.started_at or now, heartbeat_at=row.heartbeat_at or now,
                           expires_at=row.expires_at)


class Lease:
    def __init__(self, database: Database, seconds: float, name: str = LEASE_NAME):
        self.database = database
        self.length = timedelta(seconds=seconds)
        self.name = name
        self.host = socket.gethostname()
        self.pid = os.getpid()
        identity = process_identity(self.pid)
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}" + (f":{identity}" if identity else "")
        #: The dead scheduler this one replaced at start-up without waiting, if any (for the log).
        self.took_over_from: LeaseHolder | None = None

    def acquire(self, now: datetime | None = None) -> None:
        """Take the lease or raise LeaseHeld naming the scheduler that has it."""
        now = now or _now()
        row = SchedulerLease
        with self.database.session() as session:
            result = session.execute(
                update(row)
                .where(row.name == self.name,
                       or_(row.holder.is_(None), row.expires_at <= now, row.holder == self.holder))
                .values(holder=self.holder, host=self.host, pid=self.pid, started_at=now, heartbeat_at=now,
                        expires_at=now + self.length)
            )
            taken = result.rowcount == 1
            if not taken and session.execute(select(row.name).where(row.name == self.name)).first() is None:
                # A database migrated before the lease row existed: create it (one name, so one winner).
                session.add(SchedulerLease(name=self.name, holder=self.holder, host=self.host, pid=self.pid,
                                           started_at=now, heartbeat_at=now, expires_at=now + self.length))
                taken = True
        if taken:
            return
        other = current_holder(self.database, now, self.name)
        if other is not None and holder_is_dead_here(other.holder, other.host, other.pid, self.host):
            with self.database.session() as session:
                result = session.execute(
                    update(row).where(row.name == self.name, row.holder == other.holder)
                    .values(holder=self.holder, host=self.host, pid=self.pid, started_at=now, heartbeat_at=now,
                            expires_at=now + self.length)
                )
            if result.rowcount == 1:  # one winner when two start at once
                self.took_over_from = other
                return
            other = current_holder(self.database, now, self.name)
        who = other.describe(now) if other else "a scheduler that is just starting"
        raise LeaseHeld(f"Another scheduler is already running ({who}), so this one will not start; stop "
                        f"that one first, or wait {int(self.length.total_seconds())} s if it has just died.")

    def renew(self, now: datetime | None = None) -> bool:
        """Extend the lease; False when it is no longer ours (the caller must stop)."""
        now = now or _now()
        row = SchedulerLease
        with self.database.session() as session:
            result = session.execute(
                update(row).where(row.name == self.name, row.holder == self.holder)
                .values(heartbeat_at=now, expires_at=now + self.length)
            )
            return result.rowcount == 1

    def release(self) -> None:
        row = SchedulerLease
        with self.database.session() as session:
            session.execute(update(row).where(row.name == self.name, row.holder == self.holder)
                            .values(holder=None, expires_at=None))
