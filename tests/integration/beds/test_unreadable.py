"""A record the kiosk cannot read shows as such on its bed, and never blanks the board."""

from __future__ import annotations

import httpx

from kiosk.beds.occupancy import BedState
from tests.support.beds import BedUnitFactory, page_text, signed_in


def test_an_unreadable_encounter_is_marked_on_its_bed(bed_unit: BedUnitFactory) -> None:
    unit = bed_unit(20)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    # Another system stored an Encounter the kiosk cannot read (a location status that is not an R4
    # code; sekmet-fhir accepts it). It is written straight to the server: the kiosk would refuse to send it.
    response = httpx.post(f"{unit.gw.client.base_url}/Encounter", json={
        "resourceType": "Encounter", "status": "in-progress", "class": {"code": "IMP"},
        "location": [{"location": {"reference": bed.ref}, "status": "occupied"}]})
    assert response.status_code == 201
    encounter = f"Encounter/{response.json()['id']}"

    board = unit.board()
    tile = board.tile(bed.id)
    assert tile is not None and encounter in board.unreadable
    assert any(encounter in w and "could not be read" in w for w in tile.warnings)
    assert len(board.tiles) == 20  # the rest of the board is all there

    assert unit.app is not None
    client = signed_in(unit.app)
    text = page_text(client.get(f"/beds/bed/{bed.id}").get_data(as_text=True))
    assert "could not be read" in text
