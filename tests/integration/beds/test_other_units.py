"""A transfer to another unit on a real sekmet-fhir server: the form lists the other units' free beds and
names the units that have none (one more search), rather than leaving them out without a word."""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.beds.occupancy import BedState
from kiosk.beds.services import load_board
from kiosk.beds.settings import BedSettings
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import BedUnit, page_text, signed_in, unit_gateway

Factory = Callable[..., BedUnit]
HTMX = {"HX-Request": "true"}


def test_a_transfer_form_names_the_other_units_without_a_free_bed(
        bed_unit: Factory, make_unit: Callable[..., UnitRef], gateway: FhirGateway) -> None:
    unit = bed_unit()
    assert unit.app is not None
    full = make_unit(4)
    full_gw = unit_gateway(gateway, full)
    full_board = load_board(full_gw, BedSettings())
    for tile in full_board.tiles.values():  # every bed of the other unit out of use
        if tile.state in (BedState.AVAILABLE, BedState.HOUSEKEEPING) and not tile.reserved_for:
            BedUnit(ref=full, gw=full_gw).act("block", bed_id=tile.id, reason="Ward closed")
    client = signed_in(unit.app)
    bed_id = next(t.id for t in unit.beds(BedState.OCCUPIED) if t.patient is not None)
    form = page_text(client.get(f"/beds/bed/{bed_id}?open=transfer", headers=HTMX).get_data(as_text=True))
    said = re.search(r"No free bed on ([^.]*)\.", form)
    assert said is not None and full_board.unit_name in said.group(1)
    assert unit.board().unit_name not in said.group(1)  # its own unit is not "another unit"
