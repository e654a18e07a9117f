"""What changed since the last look (kiosk.fhir.changes): the mark, the overlap, the versions already
seen, overflows, and which units' censuses a change touches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from kiosk.fhir.changes import CHANGE_PAGE, ChangeMark, changes_since, references_in, touched
from kiosk.fhir.gateway import FhirGateway


def entry(rtype: str, rid: str, version: str, stamp: str, **fields: Any) -> dict[str, Any]:
    resource = {"resourceType": rtype, "id": rid, "meta": {"versionId": version, "lastUpdated": stamp}, **fields}
    return {"resource": resource, "response": {"status": "200 OK", "etag": f'W/"{version}"', "lastModified": stamp}}


class History:
    """A server's system history: the entries newest first, answered as sekmet-fhir does (`_since`
    inclusive, `total` counting every match)."""

    def __init__(self, entries: list[dict[str, Any]]):
        self.entries = entries
        self.asked: list[tuple[str | None, int]] = []

    def system_history(self, since: str | None, count: int) -> dict[str, Any]:
        self.asked.append((since, count))
        matching = [e for e in self.entries if since is None or e["response"]["lastModified"] >= since]
        return {"resourceType": "Bundle", "type": "history", "total": len(matching), "entry": matching[:count]}


class Caps:
    probed = False
    system_interactions = frozenset({"history-system"})


class Gateway:
    def __init__(self, history: History):
        self.client = history
        self.capabilities = Caps()


def gw(entries: list[dict[str, Any]]) -> tuple[FhirGateway, History]:
    history = History(entries)
    return cast(FhirGateway, Gateway(history)), history


def test_the_first_look_marks_the_newest_change_and_reports_nothing() -> None:
    gateway, history = gw([entry("Location", "b1", "2", "2026-11-29T03:00:00.500Z"),
                           entry("Location", "b1", "1", "2026-11-29T03:00:00.100Z")])
    found = changes_since(gateway, None, timedelta(seconds=1))
    assert found.first and found.resources == []
    assert found.mark == ChangeMark("2026-11-29T03:00:00.500Z", ("Location/b1/1", "Location/b1/2"))
    assert history.asked == [(None, CHANGE_PAGE)]


def test_a_look_asks_from_the_overlap_before_the_mark_and_skips_what_it_saw() -> None:
    old = entry("Location", "b1", "2", "2026-11-29T03:00:00.500Z")
    late = entry("Encounter", "e1", "1", "2026-11-29T03:00:00.200Z",
                 location=[{"location": {"reference": "Location/b2"}}])
    gateway, history = gw([old, late])
    found = changes_since(gateway, ChangeMark("2026-11-29T03:00:00.500Z", ("Location/b1/2",)), timedelta(seconds=1))
    assert history.asked == [("2026-11-29T02:59:59.500Z", CHANGE_PAGE)]
    # The Encounter stamped before the mark but not seen by the last look is a change; the bed it saw is not.
    assert [r["id"] for r in found.resources] == ["e1"]
    again = changes_since(gateway, found.mark, timedelta(seconds=1))
    assert again.resources == [] and again.known


def test_more_changes_than_a_page_is_an_overflow() -> None:
    entries = [entry("Task", f"t{i}", "1", f"2026-11-29T03:00:{i // 1000:02d}.{i % 1000:03d}Z")
               for i in range(CHANGE_PAGE + 5)][::-1]
    gateway, _ = gw(entries)
    found = changes_since(gateway, ChangeMark("2026-11-29T02:00:00.000Z"), timedelta(0))
    assert not found.known and found.mark is not None and found.mark.since == entries[0]["response"]["lastModified"]


def test_a_server_without_system_history_cannot_say() -> None:
    gateway, history = gw([])
    Caps.system_interactions = frozenset()
    try:
        found = changes_since(gateway, ChangeMark("2026-11-29T02:00:00.000Z"))
    finally:
        Caps.system_interactions = frozenset({"history-system"})
    assert not found.known and history.asked == []


def test_a_change_touches_the_units_whose_census_holds_it_or_what_it_names() -> None:
    held = {"4W": {"Location/4W", "Location/r1", "Location/b1", "Patient/p1", "Encounter/e1"},
            "5E": {"Location/5E", "Location/b9", "Patient/p9"}}
    new_stay = {"resourceType": "Encounter", "id": "e2",
                "location": [{"location": {"reference": "https://fhir.example/Location/b9/_history/3"}}]}
    flag = {"resourceType": "Flag", "id": "f1", "subject": {"reference": "Patient/p1"}}
    renamed = {"resourceType": "Patient", "id": "p9"}
    audit = {"resourceType": "AuditEvent", "id": "a1", "entity": [{"what": {"reference": "Patient/p1"}}]}
    unrelated = {"resourceType": "Task", "id": "t1", "focus": {"reference": "Location/elsewhere"}}
    assert touched([new_stay], held) == {"5E"}
    assert touched([flag], held) == {"4W"}
    assert touched([renamed, flag], held) == {"4W", "5E"}
    assert touched([audit, unrelated], held) == set()


def test_references_are_found_wherever_they_are() -> None:
    task = {"resourceType": "Task", "focus": {"reference": "Location/b1"}, "for": {"reference": "Patient/p1"},
            "input": [{"valueReference": {"reference": "Location/b2"}}], "note": [{"text": "reference"}]}
    assert sorted(references_in(task)) == ["Location/b1", "Location/b2", "Patient/p1"]


def test_a_burst_in_the_overlap_before_the_mark_is_no_overflow_at_the_next_looks() -> None:
    """A unit seeded just before the mark: more versions in the overlap than one page. The looks after it
    find nothing new (and no overflow) until something changes after the mark."""
    burst = [entry("Location", f"b{i}", "1", f"2026-11-29T03:00:00.{i:03d}Z") for i in range(CHANGE_PAGE + 50)][::-1]
    gateway, history = gw(burst)
    first = changes_since(gateway, None, timedelta(seconds=1))
    again = changes_since(gateway, first.mark, timedelta(seconds=1))
    assert again.known and again.resources == []
    history.entries.insert(0, entry("Patient", "p1", "2", "2026-11-29T03:00:05.000Z"))
    later = changes_since(gateway, again.mark, timedelta(seconds=1))
    assert later.known and [r["id"] for r in later.resources] == ["p1"]
