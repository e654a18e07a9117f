"""Helpers for the bed board's tests: a kiosk app serving a freshly built unit, the unit's board as
the service sees it, one action done through the service, and the CSRF token of a test client."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kiosk.audit.services import AuditQuery, AuditRow, search
from kiosk.auth import Role
from kiosk.beds.actions import BED_ACTIONS, ActionContext, ActionRequest, Plan, plan
from kiosk.beds.board import BedTile, Board
from kiosk.beds.occupancy import BedState
from kiosk.beds.panel import Panel
from kiosk.beds.services import load_board, open_panel, utc_now
from kiosk.beds.settings import BedSettings
from kiosk.census import census_store
from kiosk.extensions import database, services
from kiosk.fhir.change import Change, Conflict, Done, Seen, send
from kiosk.fhir.errors import FhirConflict, FhirError
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.auth import page_token, sign_in_client

CAPABILITY_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "capability"
BEDS = BedSettings()


def vendor_statement(name: str) -> dict[str, Any]:
    """'epic' or 'oracle': a production EHR's published CapabilityStatement."""
    files = {"epic": "epic-r4-2026-05.json", "oracle": "oracle-health-millennium-r4.json"}
    return json.loads((CAPABILITY_FIXTURES / files[name]).read_text())


@dataclass
class BedUnit:
    """A unit built for one test, a gateway on it, and (when asked) a kiosk app serving it."""

    ref: UnitRef
    gw: FhirGateway
    app: Flask | None = None

    def board(self) -> Board:
        return load_board(self.gw, BEDS)

    def beds(self, *states: BedState, free: bool = False) -> list[BedTile]:
        tiles = list(self.board().tiles.values())
        out = [t for t in tiles if not states or t.state in states]
        if free:
            out = [t for t in out if t.patient is None and not t.reserved_for and not t.warnings]
        return out

    def act(self, action: str, **fields: Any) -> Plan:
        """Do an action as the panel does: with the versions and the token of the panel it is done from
        (the bed's, or the patient's when no bed is given), unless `seen` is given. Returns the plan that
        was sent; raises Refused (refused before sending), FhirConflict (changed at another station) or
        FhirError (any other outcome than done)."""
        board = self.board()
        if "seen" not in fields:
            panel = self.panel(board, fields.get("bed_id"), fields.get("encounter_id"), action)
            fields["seen"] = Seen.parse(panel.seen) if panel else {}
            fields.setdefault("token", panel.token if panel else None)
        request = ActionRequest(action, **fields)
        planned = plan(ActionContext(gw=self.gw, settings=BEDS, board=board, request=request, now=utc_now()))
        outcome = send(self.gw, planned.change, request.seen)
        if isinstance(outcome, Conflict):
            raise FhirConflict(outcome.message)
        if not isinstance(outcome, Done):
            raise FhirError(f"{action} ended {outcome.kind}: {outcome.message}")
        return planned

    def panel(self, board: Board, bed_id: str | None, encounter_id: str | None, action: str) -> Panel | None:
        key = f"bed:{bed_id}" if bed_id else f"encounter:{encounter_id}"
        found = open_panel(self.gw, board, key, action)
        return found if isinstance(found, Panel) else None

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        return self.gw.client.read(resource_type, resource_id)


def unit_gateway(session_gateway: FhirGateway, ref: UnitRef) -> FhirGateway:
    """A gateway on the session's server and client whose own unit is `ref`."""
    return FhirGateway(session_gateway.client, session_gateway.identifiers, ref)


def unit_env(ref: UnitRef) -> dict[str, str]:
    """Settings overrides that make the kiosk serve the unit `ref`."""
    return {"KIOSK_UNIT_LOCATION": f"{ref.system}|{ref.value}"}


#: What a board render costs when the unit's census must be read from the server (kiosk.census): the
#: look at the server's changes (1: the tests look before every read, KIOSK_CENSUS_TRUST_SECONDS=0; with
#: the scheduler's census-check job running, screens do not look), the census (places 1, stays 3 chained
#: searches, jobs 2) and the transport marks on the tiles (1; the call-light and readiness marks come from
#: the kiosk's own database).
BOARD_REQUESTS = "8"
#: What a board render, a panel or a poll costs when nothing changed since the census was read: the look
#: at the server's changes only (the census, what the mark sources read and the drawn board are kept per
#: census version). With the scheduler looking, none.
UNCHANGED_REQUESTS = "1"
#: What a patient's panel adds, whatever the unit's size: the one search of the moves other workflows offer
#: (kiosk.nav.MoveOffer: transport's delivered transfers), which no census version can keep (a delivery
#: does not change the unit's census).
MOVE_OFFER_REQUESTS = 1


def read_again(app: Flask) -> None:
    """Every census the kiosk keeps is read from the server before it is next shown (kiosk.census)."""
    with app.app_context():
        census_store().read_all_again()


def signed_in(app: Flask, role: Role = Role.UNIT_SECRETARY) -> FlaskClient:
    return sign_in_client(app.test_client(), role)


def audit_rows(app: Flask, action: str | None = None) -> list[AuditRow]:
    with app.app_context(), database().session() as db:
        return search(db, AuditQuery(action=action, limit=1000))


def app_gateway(app: Flask) -> FhirGateway:
    with app.app_context():
        return services().gateway()


def send_change(gw: FhirGateway, change: Change) -> list[str]:
    """Send a change built by the movement builders with its bed action's declared needs, as the bed
    board does; returns what was written, raises FhirConflict for a conflict (any other outcome fails)."""
    outcome = send(gw, change.declare(BED_ACTIONS[change.name].needs))
    if isinstance(outcome, Conflict):
        raise FhirConflict(outcome.message)
    if not isinstance(outcome, Done):
        raise FhirError(f"{change.name} ended {outcome.kind}: {outcome.message}")
    return list(outcome.written)


def csrf_token(client: FlaskClient, page: str = "/beds/") -> str:
    """The CSRF token of a bed-board page (tests/support/auth.py reads it)."""
    return page_token(client, page)


def page_text(html: str) -> str:
    """What a person reads: tags removed, whitespace collapsed, entities decoded."""
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def seen_of(html: str) -> str:
    found = re.search(r'name="seen" value="([^"]*)"', html)
    if not found:
        raise AssertionError("the panel has no versions")
    return found.group(1)


BedUnitFactory = Callable[..., BedUnit]
