"""After a failed write the kiosk reads back what the change touched and says what the server holds. A
resource written unchanged only for its ifMatch (a bed held by a reservation) says nothing either way:
another station having written it is not "saved" by this one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.fhir.change import Change, reread


@dataclass
class Reads:
    """Stands in for the gateway's one batch read: the resources as the server holds them now."""

    now: dict[str, dict[str, Any]]
    asked: list[list[str]] = field(default_factory=list)

    def batch_read(self, refs: list[str], batch: bool = True) -> list[dict[str, Any] | None]:
        self.asked.append(refs)
        return [self.now.get(ref) for ref in refs]


@dataclass
class Caps:
    def allows_batch(self) -> bool:
        return True


@dataclass
class Gateway:
    client: Reads
    capabilities: Caps = field(default_factory=Caps)


ENCOUNTER = {"resourceType": "Encounter", "id": "e1", "status": "planned"}
BED = {"resourceType": "Location", "id": "b1", "name": "4W-401"}


def reserve_change() -> Change:
    change = Change("reserve")
    change.update(({**ENCOUNTER, "location": [{"location": {"reference": "Location/b1"}, "status": "reserved"}]}, "3"))
    change.guard((dict(BED), "7"), name="bed 4W-401")
    return change


def test_a_bed_reserved_at_another_station_meanwhile_is_not_called_saved() -> None:
    # Another station reserved the bed for someone else: the bed moved on (same content), our encounter did not.
    server = Reads({"Encounter/e1": {**ENCOUNTER, "meta": {"versionId": "3"}},
                    "Location/b1": {**BED, "meta": {"versionId": "8"}}})
    state = reread(Gateway(server), reserve_change())  # type: ignore[arg-type]
    assert server.asked == [["Encounter/e1", "Location/b1"]]
    assert state.nothing_written and "Location/b1" not in state.written
    assert state.sentence() == "Nothing was written (checked on the FHIR server)."


def test_the_change_itself_found_written_is_said_saved() -> None:
    sent = reserve_change()
    server = Reads({"Encounter/e1": {**sent.updates[0][0], "meta": {"versionId": "4"}},
                    "Location/b1": {**BED, "meta": {"versionId": "8"}}})
    state = reread(Gateway(server), sent)  # type: ignore[arg-type]
    assert state.written == ("Encounter/e1",) and state.all_written
