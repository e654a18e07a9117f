"""One census per unit, shared by every screen, worker, process and kiosk instance on the database.

- A unit's census is kept in the database (`unit_census`: the resources as the server sent them, the
  references they hold, when they were read, a version). Each process keeps the records made of the
  version it last used in memory, and the views keep what they rendered of it (`remember`), so a screen
  that asks again while nothing changed costs one small query and no FHIR request.
- It is read from the FHIR server again only when it is dirty: the change check (`check`, the
  scheduler's census-check job) found a change on the server that touches it, or the kiosk itself wrote
  one (the FHIR client's write listeners call `written`).
- When no check ran for `trust` (no scheduler running), the next read looks for changes itself first:
  still one request per interval for all units, not one census per screen.
- A new version is announced: on PostgreSQL by NOTIFY on CENSUS_CHANNEL when its transaction commits (every
  process and instance listening hears of it at once: kiosk.push), and to this process's own
  `on_new_version` callbacks (SQLite has no NOTIFY: other processes look at the versions on a timer).
- Downtime: a read or a look that finds the server unreachable records since when (`census_check`);
  `kept` then answers the unit's census as last known current, if that is less than `keep` ago. A
  census older than `keep` is deleted (`forget_stale`, also run by the census-check job).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk import jsontext
from kiosk.config import CensusSettings
from kiosk.db import Database
from kiosk.fhir.census import CENSUS_SEARCHES, Census, CensusSource, assemble, fetch_census, require_searches
from kiosk.fhir.changes import CENSUS_TYPES, OVERLAP, ChangeMark, changes_since, touched
from kiosk.fhir.errors import FhirUnavailable
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.slots import FhirBusy

from .models import CensusCheck, UnitCensus

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Rendered things kept per process (boards per unit, view and version): the newest this many.
REMEMBERED = 64
#: Seconds a request waits for another to finish making what it also asks for (`CensusStore.remember`).
MAKING_WAIT = 2.0
#: PostgreSQL's notification channel of new census versions (the payload: the unit's Location id).
CENSUS_CHANNEL = "kiosk_census"


def announce(db: Session, unit_id: str) -> None:
    """On PostgreSQL, NOTIFY every listening process that the unit's census has a new version; it is
    delivered when `db`'s transaction commits, so never before the version can be read (and not at all
    if it rolls back). On SQLite, nothing: no process can be told."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_notify(:channel, :unit)"), {"channel": CENSUS_CHANNEL, "unit": unit_id})


@dataclass(frozen=True)
class CheckResult:
    """What one change check found: the units it marked to be read again (and read, with `refresh`)."""

    changes: int
    units: tuple[str, ...]
    known: bool

    def summary(self) -> str:
        how = "" if self.known else " (the server could not say what changed: all read again)"
        return f"{self.changes} changes, {len(self.units)} units to read again{how}"


@dataclass(frozen=True)
class KeptCensus:
    """A unit's census as last known current, for a board shown while the server cannot be reached."""

    census: Census
    #: When the census was last known to be the server's: read then, or a look then found no change.
    as_of: datetime
    #: When the server was first found unreachable (None: not known to be down).
    unreachable_since: datetime | None


class CensusStore:
    def __init__(self, database: Database, clock: Callable[[], datetime], trust: timedelta,
                 overlap: timedelta = OVERLAP, keep: timedelta = timedelta(hours=12)):
        self.database = database
        self.clock = clock
        self.trust = trust
        self.overlap = overlap
        self.keep = keep
        self._memory: dict[str, tuple[int, Census]] = {}
        self._remembered: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        #: Called after this process wrote a new version of a census (kiosk.push wakes its screens).
        self.on_new_version: list[Callable[[], None]] = []

    @classmethod
    def of(cls, database: Database, clock: Callable[[], datetime], settings: CensusSettings) -> CensusStore:
        """The store as the settings' [census] section has it (the app's, and each scheduled job's)."""
        return cls(database, clock, timedelta(seconds=settings.trust_seconds),
                   timedelta(milliseconds=settings.overlap_ms), timedelta(hours=settings.downtime_keep_hours))

    # ------------------------------------------------------------ reading

    def census(self, gw: FhirGateway, unit: UnitRef | None = None) -> Census:
        """The unit's census: from memory or the database while nothing touched it, else read from the
        server now (and kept for everyone)."""
        try:
            require_searches(gw, CENSUS_SEARCHES, "The bed board")
            unit_id = gw.unit_location_id(unit)
            self._check_if_due(gw)
            with self.database.session() as db:
                row = db.execute(select(UnitCensus.version, UnitCensus.dirty, UnitCensus.clean)
                                 .where(UnitCensus.unit_id == unit_id)).one_or_none()
            if row is not None and row.dirty == row.clean:
                return self._kept(gw, unit_id, row.version)
            return self.refresh(gw, unit_id, row.dirty if row is not None else 0)
        except FhirUnavailable as e:
            if not isinstance(e, FhirBusy):  # the kiosk's own slots were taken: the server was not asked
                self.unreachable()
            raise

    def versions(self) -> dict[str, int]:
        """Every unit's census version (one query): live screens are woken when their unit's moves."""
        with self.database.session() as db:
            return {unit: version for unit, version in db.execute(select(UnitCensus.unit_id, UnitCensus.version))}

    def version(self, unit_id: str) -> int | None:
        with self.database.session() as db:
            return db.execute(select(UnitCensus.version).where(UnitCensus.unit_id == unit_id)).scalar_one_or_none()

    def _kept(self, gw: FhirGateway, unit_id: str, version: int) -> Census:
        with self._lock:
            held = self._memory.get(unit_id)
        if held is not None and held[0] == version:
            return held[1]
        with self.database.session() as db:
            kept = db.execute(select(UnitCensus.payload, UnitCensus.version)
                              .where(UnitCensus.unit_id == unit_id)).one()
        census = assemble(CensusSource.from_payload(kept.payload), gw.identifiers)
        census.version = kept.version
        self._hold(unit_id, census)
        return census

    def refresh(self, gw: FhirGateway, unit_id: str, dirty: int) -> Census:
        """Read the unit's census from the server now and keep it; `dirty` is the unit's dirty count
        before the read (a change marked during the read leaves it dirty)."""
        source = fetch_census(gw, UnitRef(location_id=unit_id))
        payload = jsontext.dumps(source.to_json())
        refs = json.dumps(sorted(source.references()))
        now = self.clock()
        with self.database.session() as db:
            done = db.execute(update(UnitCensus).where(UnitCensus.unit_id == unit_id).values(
                payload=payload, refs=refs, read_at=now, version=UnitCensus.version + 1, clean=dirty))
            if done.rowcount == 0:  # type: ignore[attr-defined]
                db.add(UnitCensus(unit_id=unit_id, version=1, payload=payload, refs=refs, read_at=now,
                                  dirty=0, clean=0))
                try:
                    db.flush()
                except IntegrityError:  # another process kept it first: keep this read as the newer one
                    db.rollback()
                    db.execute(update(UnitCensus).where(UnitCensus.unit_id == unit_id).values(
                        payload=payload, refs=refs, read_at=now, version=UnitCensus.version + 1))
            version = db.execute(select(UnitCensus.version).where(UnitCensus.unit_id == unit_id)).scalar_one()
            announce(db, unit_id)
        census = assemble(source, gw.identifiers)
        census.version = version
        self._hold(unit_id, census)
        for callback in self.on_new_version:
            try:
                callback()
            except Exception:  # the census is read and kept: waking screens is not this request's failure
                log.exception("A callback after a new census version failed")
        return census

    def _hold(self, unit_id: str, census: Census) -> None:
        with self._lock:
            held = self._memory.get(unit_id)
            if held is None or held[0] <= census.version:
                self._memory[unit_id] = (census.version, census)

    def remember(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` answers for `key` (a unit, a view and a census version ...), made once per process.
        Requests asking for the same key while it is being made wait for that one answer (the screens of a
        unit all refresh at the same event), and get its error if it fails (nothing is kept then). They
        wait at most `MAKING_WAIT` seconds (a FHIR server holding the maker's requests must not hold every
        thread): then FhirBusy, "not up to date" for a poll, "try again" for a person."""
        with self._lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key]
            making = self._making.get(key)
            mine = making is None
            if making is None:
                making = self._making[key] = Future()
        if not mine:
            try:
                return making.result(timeout=MAKING_WAIT)
            except FutureTimeout:
                raise FhirBusy() from None
        try:
            value = make()
        except BaseException as e:
            with self._lock:
                del self._making[key]
            making.set_exception(e)
            raise
        with self._lock:
            self._remembered[key] = value
            del self._making[key]
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        making.set_result(value)
        return value

    # ------------------------------------------------------------ changes

    def written(self, resources: list[dict[str, Any]]) -> None:
        """The kiosk wrote these (or may have): the censuses they touch are read again before they are shown."""
        if not any(r.get("resourceType") in CENSUS_TYPES for r in resources):
            return
        self._mark(touched(resources, self._held_refs()))

    def check(self, gw: FhirGateway, refresh: bool = False) -> CheckResult:
        """Look at the server's changes since the last look (one request), mark the units they touch,
        and with `refresh` read those units again now (so the screens' next polls find them ready)."""
        with self.database.session() as db:
            row = db.get(CensusCheck, 1)
            mark = ChangeMark(row.since, tuple(json.loads(row.seen))) if row is not None and row.since else None
        try:
            changes = changes_since(gw, mark, self.overlap)
        except FhirUnavailable as e:
            if not isinstance(e, FhirBusy):  # the kiosk's own slots were taken: the server was not asked
                self.unreachable()
            raise
        held = self._held_refs()
        units = set(held) if changes.first or not changes.known else touched(changes.resources, held)
        self._mark(units)
        with self.database.session() as db:
            row = db.get(CensusCheck, 1)
            if row is None:
                row = CensusCheck(id=1, since="", seen="[]")
                db.add(row)
            if changes.mark is not None and changes.mark.since >= row.since:
                row.since = changes.mark.since
                row.seen = json.dumps(list(changes.mark.seen))
            row.checked_at = self.clock()
            row.unreachable_since = None
            try:
                db.flush()
            except IntegrityError:  # two first looks at once: the other one's mark stands
                db.rollback()
        if refresh:
            for unit_id in sorted(units):
                with self.database.session() as db:
                    dirty = db.execute(select(UnitCensus.dirty).where(UnitCensus.unit_id == unit_id)).scalar_one()
                self.refresh(gw, unit_id, dirty)
        return CheckResult(changes=len(changes.resources), units=tuple(sorted(units)), known=changes.known)

    def _check_if_due(self, gw: FhirGateway) -> None:
        with self.database.session() as db:
            checked = db.execute(select(CensusCheck.checked_at).where(CensusCheck.id == 1)).scalar_one_or_none()
        if checked is None or self.clock() - checked >= self.trust:
            self.check(gw)

    def last_checked(self) -> datetime | None:
        """When the change check last looked at the server (the job, a notification or a screen)."""
        with self.database.session() as db:
            return db.execute(select(CensusCheck.checked_at).where(CensusCheck.id == 1)).scalar_one_or_none()

    def _held_refs(self) -> dict[str, set[str]]:
        with self.database.session() as db:
            return {unit: set(json.loads(refs)) for unit, refs in db.execute(select(UnitCensus.unit_id,
                                                                                   UnitCensus.refs))}

    def read_all_again(self) -> None:
        """Every unit's census is read from the server before it is next shown (after a change of
        server, or of what the kiosk reads of it)."""
        self._mark(set(self._held_refs()))

    def patients(self, gw: FhirGateway) -> list[str]:
        """The unit's patients ('Patient/<id>': its occupants, and those coming in) as its census has them
        (`census`: no FHIR request while it is current, as the census-check job keeps it); while the server
        cannot be reached, as last known."""
        try:
            census = self.census(gw)
        except FhirUnavailable:
            kept = self.kept(gw)
            if kept is None:
                raise
            census = kept.census
        return sorted(census.patients)

    # ------------------------------------------------------------ downtime

    def unreachable(self) -> None:
        """The server could not be reached just now: remember since when (the first time only)."""
        now = self.clock()
        with self.database.session() as db:
            row = db.get(CensusCheck, 1)
            if row is None:
                db.add(CensusCheck(id=1, since="", seen="[]", unreachable_since=now))
            elif row.unreachable_since is None:
                row.unreachable_since = now
            try:
                db.flush()
            except IntegrityError:  # another process recorded it first
                db.rollback()

    def unreachable_since(self) -> datetime | None:
        """When the server was first found unreachable, if it has not answered since."""
        with self.database.session() as db:
            return db.execute(select(CensusCheck.unreachable_since).where(CensusCheck.id == 1)).scalar_one_or_none()

    def kept(self, gw: FhirGateway, unit: UnitRef | None = None) -> KeptCensus | None:
        """The unit's census as last known current, without asking the server; None when there is none
        or it is older than `keep` (then it is deleted)."""
        unit_id = unit.location_id if unit is not None and unit.location_id else self._unit_id(gw)
        self.forget_stale()
        with self.database.session() as db:
            row = db.execute(select(UnitCensus).where(UnitCensus.unit_id == unit_id)).scalar_one_or_none()
            check = db.get(CensusCheck, 1)
            if row is None:
                return None
            as_of = self._as_of(row, check)
            payload, version = row.payload, row.version
            since = check.unreachable_since if check is not None else None
        census = assemble(CensusSource.from_payload(payload), gw.identifiers)
        census.version = version
        return KeptCensus(census=census, as_of=as_of, unreachable_since=since)

    def _unit_id(self, gw: FhirGateway) -> str:
        """The kiosk's own unit's Location id: from the gateway (cached after its first lookup), else,
        when the server cannot be asked, the kept census whose unit carries the unit's identifier."""
        try:
            return gw.unit_location_id()
        except FhirUnavailable:
            ref = gw.unit
            with self.database.session() as db:
                rows = db.execute(select(UnitCensus.unit_id, UnitCensus.payload)).all()
            for unit_id, payload in rows:
                for location in jsontext.loads(payload)["locations"]:
                    if location.get("id") == unit_id and any(
                            i.get("system") == ref.system and i.get("value") == ref.value
                            for i in location.get("identifier", [])):
                        return unit_id
            raise

    @staticmethod
    def _as_of(row: UnitCensus, check: CensusCheck | None) -> datetime:
        """When a census was last known current: its read, or a later look that found it untouched."""
        if row.dirty == row.clean and check is not None and check.checked_at is not None:
            return max(row.read_at, check.checked_at)
        return row.read_at

    def forget_stale(self) -> list[str]:
        """Delete the censuses last known current more than `keep` ago; answers their units."""
        limit = self.clock() - self.keep
        with self.database.session() as db:
            check = db.get(CensusCheck, 1)
            rows = db.execute(select(UnitCensus.unit_id, UnitCensus.read_at, UnitCensus.dirty,
                                     UnitCensus.clean)).all()
            stale = sorted(r.unit_id for r in rows if self._as_of(r, check) < limit)  # type: ignore[arg-type]
            if stale:
                db.execute(delete(UnitCensus).where(UnitCensus.unit_id.in_(stale)))
        if stale:
            with self._lock:
                for unit_id in stale:
                    self._memory.pop(unit_id, None)
        return stale

    def _mark(self, units: set[str]) -> None:
        if not units:
            return
        with self.database.session() as db:
            db.execute(update(UnitCensus).where(UnitCensus.unit_id.in_(sorted(units)))
                       .values(dirty=UnitCensus.dirty + 1))
