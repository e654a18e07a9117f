"""What changed on the FHIR server since the last look, in one request whatever the number of units and
screens: the server's system history (`GET [base]/_history?_since=<instant>`), and which units' censuses
those changes touch.

- The mark (`ChangeMark`) is where the last look stopped: the newest change's time *as the server wrote
  it* (the kiosk's clock is never compared with the server's) and the versions seen in the overlap
  before it. The next look asks from the overlap (census.overlap_ms, 1 s by default) before the mark,
  so that a change the server stamped a little earlier but committed a little later is not missed;
  versions already seen are skipped.
- More changes since the mark than one page (CHANGE_PAGE) is an overflow: every census is read again.
  (More than a page in the overlap before the mark is not: the last look saw them.)
- A server without system history (CapabilityStatement `rest.interaction` has no `history-system`)
  answers `Changes(known=False)`: every census is read again at each look (still once per unit, not
  once per screen).
- Which censuses a change touches (`touched`): one that holds the changed record, or that holds a record
  the changed one names (a new Encounter in one of its beds, a Task on one of its beds or for one of its
  patients, a Flag of one of its patients, a bed added to one of its rooms). Only the census's types
  count: the kiosk's own AuditEvents and Communications touch no census.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import FhirError, FhirUnavailable
from .gateway import FhirGateway
from .refs import ref_key

#: Changes read in one look; more is an overflow (every census read again).
CHANGE_PAGE = 200
#: How far before the mark the next look starts by default (late commits with earlier stamps).
OVERLAP = timedelta(seconds=1)
#: The resource types a census is made of: changes to other types touch no census.
CENSUS_TYPES = frozenset({"Location", "Encounter", "Patient", "Practitioner", "Flag", "Task"})
#: Before the first look, the mark is the start of time (the first look then reads from the newest change).
EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class ChangeMark:
    since: str
    seen: tuple[str, ...] = ()


@dataclass
class Changes:
    mark: ChangeMark | None
    #: The changed resources (a deletion as {"resourceType", "id"}), census types only.
    resources: list[dict[str, Any]] = field(default_factory=list)
    #: False: the server cannot say what changed (no system history, or too many changes): read everything.
    known: bool = True
    #: True for the first look (no mark before it): nothing is known of what changed before.
    first: bool = False


def offers_history(gw: FhirGateway) -> bool:
    caps = gw.capabilities
    return caps.probed or "history-system" in caps.system_interactions


def changes_since(gw: FhirGateway, mark: ChangeMark | None, overlap: timedelta = OVERLAP) -> Changes:
    """One request: the changes since `mark` (or, without one, a mark at the newest change). `overlap`:
    how far before the mark to ask from (the versions seen there are skipped)."""
    if not offers_history(gw):
        return Changes(mark=None, known=False)
    try:
        return _changes_since(gw, mark, overlap)
    except FhirUnavailable:
        raise
    except FhirError:
        if not gw.capabilities.probed:
            raise
        # A server without a statement that does not answer system history after all.
        return Changes(mark=None, known=False)


def _changes_since(gw: FhirGateway, mark: ChangeMark | None, overlap: timedelta) -> Changes:
    if mark is None:
        entries = list(_entries(gw.client.system_history(None, CHANGE_PAGE)))
        newest = max((stamp for stamp, _, _ in entries), default=EPOCH)
        return Changes(mark=ChangeMark(newest, _seen_near(entries, newest, overlap)), first=True)
    bundle = gw.client.system_history(_instant_before(mark.since, overlap), CHANGE_PAGE)
    entries = list(_entries(bundle))
    total = bundle.get("total")
    more = (isinstance(total, int) and total > len(entries)) or _has_next(bundle)
    if more and (not entries or min(stamp for stamp, _, _ in entries) > mark.since):
        # More changes since the mark than one page: what they touched is not known.
        newest = max((stamp for stamp, _, _ in entries), default=mark.since)
        return Changes(mark=ChangeMark(newest, _seen_near(entries, newest, overlap)), known=False)
    # Everything after the mark is on this page; what it left out lies in the overlap before the mark
    # (a burst of writes just before it, seen by the last look), so a busy moment does not make every
    # later look an overflow.
    seen = set(mark.seen)
    changed = [resource for _, key, resource in entries
               if key not in seen and resource.get("resourceType") in CENSUS_TYPES]
    newest = max([mark.since, *(stamp for stamp, _, _ in entries)])
    near = set(_seen_near(entries, newest, overlap))
    if newest == mark.since:
        near |= seen
    return Changes(mark=ChangeMark(newest, tuple(sorted(near))), resources=changed)


def touched(changes: Iterable[dict[str, Any]], censuses: Mapping[str, set[str]]) -> set[str]:
    """The units (keys of `censuses`: unit -> the references its census holds) that these changed
    resources touch."""
    hit: set[str] = set()
    for resource in changes:
        if resource.get("resourceType") not in CENSUS_TYPES:
            continue
        refs = {f"{resource.get('resourceType')}/{resource.get('id')}", *references_in(resource)}
        for unit, held in censuses.items():
            if unit not in hit and not refs.isdisjoint(held):
                hit.add(unit)
    return hit


def references_in(value: Any) -> Iterator[str]:
    """Every 'Type/id' a resource names (Encounter.location, Task.focus and .for, Flag.subject,
    Location.partOf ...), wherever in the resource."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                ref = ref_key({"reference": inner})
                if ref:
                    yield ref
            elif isinstance(inner, dict | list):
                yield from references_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references_in(inner)


def _entries(bundle: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(when the server stamped it, 'Type/id/version', the resource) for each history entry."""
    if bundle.get("resourceType") != "Bundle":
        raise FhirError("The FHIR server's history is not a Bundle.")
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
        response = entry.get("response") or {}
        meta = (resource or {}).get("meta") or {}
        stamp = str(response.get("lastModified") or meta.get("lastUpdated") or "")
        if resource is None:
            # A deletion: the entry names the resource in its request or full URL.
            url = str((entry.get("request") or {}).get("url") or entry.get("fullUrl") or "")
            parts = url.split("/_history", 1)[0].rstrip("/").split("/")
            if len(parts) < 2:
                continue
            resource = {"resourceType": parts[-2], "id": parts[-1]}
        version = str(meta.get("versionId") or str(response.get("etag") or "").removeprefix("W/").strip('"'))
        key = f"{resource.get('resourceType')}/{resource.get('id')}/{version}"
        yield _normal(stamp), key, resource


def _has_next(bundle: dict[str, Any]) -> bool:
    return any(link.get("relation") == "next" for link in bundle.get("link") or [] if isinstance(link, dict))


def _seen_near(entries: list[tuple[str, str, dict[str, Any]]], newest: str,
               overlap: timedelta) -> tuple[str, ...]:
    floor = _instant_before(newest, overlap)
    return tuple(sorted(key for stamp, key, _ in entries if stamp >= floor))


def _parse(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _format(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _normal(stamp: str) -> str:
    """Stamps in one form (UTC, milliseconds, Z), so that they compare as text."""
    moment = _parse(stamp)
    return _format(moment) if moment else stamp


def _instant_before(stamp: str, overlap: timedelta) -> str:
    moment = _parse(stamp)
    return _format(moment - overlap) if moment else stamp
