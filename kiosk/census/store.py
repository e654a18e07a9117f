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
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiosk.db import Database
from kiosk.fhir.census import CENSUS_SEARCHES, Census, CensusSource, assemble, fetch_census, require_searches
from kiosk.fhir.changes import CENSUS_TYPES, OVERLAP, ChangeMark, changes_since, touched
from kiosk.fhir.gateway import FhirGateway, UnitRef

from .models import CensusCheck, UnitCensus

T = TypeVar("T")

#: Rendered things kept per process (boards per unit, view and version): the newest this many.
REMEMBERED = 64


@dataclass(frozen=True)
class CheckResult:
    """What one change check found: the units it marked to be read again (and read, with `refresh`)."""

    changes: int
    units: tuple[str, ...]
    known: bool

    def summary(self) -> str:
        how = "" if self.known else " (the server could not say what changed: all read again)"
        return f"{self.changes} changes, {len(self.units)} units to read again{how}"


class CensusStore:
    def __init__(self, database: Database, clock: Callable[[], datetime], trust: timedelta,
                 overlap: timedelta = OVERLAP):
        self.database = database
        self.clock = clock
        self.trust = trust
        self.overlap = overlap
        self._memory: dict[str, tuple[int, Census]] = {}
        self._remembered: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ reading

    def census(self, gw: FhirGateway, unit: UnitRef | None = None) -> Census:
        """The unit's census: from memory or the database while nothing touched it, else read from the
        server now (and kept for everyone)."""
        require_searches(gw, CENSUS_SEARCHES, "The bed board")
        unit_id = gw.unit_location_id(unit)
        self._check_if_due(gw)
        with self.database.session() as db:
            row = db.execute(select(UnitCensus.version, UnitCensus.dirty, UnitCensus.clean)
                             .where(UnitCensus.unit_id == unit_id)).one_or_none()
        if row is not None and row.dirty == row.clean:
            return self._kept(gw, unit_id, row.version)
        return self.refresh(gw, unit_id, row.dirty if row is not None else 0)

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
        census = assemble(CensusSource.from_json(json.loads(kept.payload)), gw.identifiers)
        census.version = kept.version
        self._hold(unit_id, census)
        return census

    def refresh(self, gw: FhirGateway, unit_id: str, dirty: int) -> Census:
        """Read the unit's census from the server now and keep it; `dirty` is the unit's dirty count
        before the read (a change marked during the read leaves it dirty)."""
        source = fetch_census(gw, UnitRef(location_id=unit_id))
        payload = json.dumps(source.to_json(), separators=(",", ":"))
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
        census = assemble(source, gw.identifiers)
        census.version = version
        self._hold(unit_id, census)
        return census

    def _hold(self, unit_id: str, census: Census) -> None:
        with self._lock:
            held = self._memory.get(unit_id)
            if held is None or held[0] <= census.version:
                self._memory[unit_id] = (census.version, census)

    def remember(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` answers for `key` (a unit, a view and a census version ...), made once per process."""
        with self._lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key]
        value = make()
        with self._lock:
            self._remembered[key] = value
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
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
        changes = changes_since(gw, mark, self.overlap)
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

    def _held_refs(self) -> dict[str, set[str]]:
        with self.database.session() as db:
            return {unit: set(json.loads(refs)) for unit, refs in db.execute(select(UnitCensus.unit_id,
                                                                                   UnitCensus.refs))}

    def read_all_again(self) -> None:
        """Every unit's census is read from the server before it is next shown (after a change of
        server, or of what the kiosk reads of it)."""
        self._mark(set(self._held_refs()))

    def _mark(self, units: set[str]) -> None:
        if not units:
            return
        with self.database.session() as db:
            db.execute(update(UnitCensus).where(UnitCensus.unit_id.in_(sorted(units)))
                       .values(dirty=UnitCensus.dirty + 1))
