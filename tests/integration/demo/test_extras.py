"""What `make run` seeds for paging, the whiteboard and room readiness, on a FHIR server of its own (the
session's demo unit is read by other tests and must not change): pages in every state, care teams and a
shift's assignments, readiness in every state, and a second run that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.auth import Role
from kiosk.auth.services import ensure_demo_staff
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.demo.extras import DEMO_EXTRAS, DemoContext, seed_extras
from kiosk.demo.loader import load_demo
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.paging.demo import DEMO_PAGES
from kiosk.paging.models import MessageKind, Page, PageMessage
from tests.conftest import make_settings
from tests.support.auth import sign_in_client
from tests.support.beds import page_text
from tests.support.sekmet import SekmetServer, start_sekmet
from tests.support.whiteboard import steady_shifts


def demo_page_states(db: Database) -> dict[str, str]:
    """public id -> the state each seeded page is in, as the database holds it (kiosk/paging/demo.py's words)."""
    states = {}
    with db.session() as session:
        for page in session.query(Page):
            sent = list(session.query(PageMessage).filter_by(page_id=page.id).order_by(PageMessage.seq))
            kinds = [(m.kind, m.status) for m in sent]
            if page.status != "open":
                state = page.status
            elif kinds[0][1] in ("queued", "unknown"):
                state = kinds[0][1]
            elif (MessageKind.BACKUP.value, "sent") in kinds and page.escalation_step == 2:
                state = "backup"
            elif (MessageKind.REPEAT.value, "sent") in kinds and page.escalation_step == 1:
                state = "repeated"
            else:
                state = "open" if kinds == [(MessageKind.FIRST.value, "sent")] else f"odd: {kinds}"
            states[page.public_id] = state
    return states


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[SekmetServer]:
    server = start_sekmet(tmp_path / "sekmet")
    yield server
    server.stop()


def test_the_demo_seeds_assignments_and_readiness_in_every_state_once(own_server: SekmetServer,
                                                                      tmp_path: Path) -> None:
    assert "kiosk.demo.whiteboard:seed" in DEMO_EXTRAS and "kiosk.demo.readiness:seed" in DEMO_EXTRAS
    settings: Settings = make_settings(own_server.base_url, tmp_path / "kiosk.db", **steady_shifts())
    gw = FhirGateway.from_settings(settings)
    db = Database(settings.database_url)
    db.upgrade()
    load_demo(gw, say=lambda _line: None)
    said: list[str] = []
    first = seed_extras(DemoContext(settings, gw, db, said.append))
    assert first == said
    lines = dict(zip(DEMO_EXTRAS, first, strict=True))
    assert lines["kiosk.demo.paging:seed"].endswith(f"; {len(DEMO_PAGES)} demo pages added")
    states = demo_page_states(db)
    assert states == {p.public_id: p.state for p in DEMO_PAGES}
    assert set(states.values()) == {"open", "repeated", "backup", "queued", "unknown", "acknowledged",
                                    "called-back", "cancelled"}
    whiteboard, readiness = lines["kiosk.demo.whiteboard:seed"], lines["kiosk.demo.readiness:seed"]
    assert "26 staff records created" in whiteboard
    assert whiteboard.count("24 beds assigned") == 2 and "3 case managers added" in whiteboard
    assert "bins of Clean utility counted at par" in readiness
    assert "reserved while waiting for housekeeping" in readiness
    assert "2 alerts created; 5 checklist items ticked." in readiness
    again = dict(zip(DEMO_EXTRAS, seed_extras(DemoContext(settings, gw, db, lambda _line: None)), strict=True))
    assert again["kiosk.demo.paging:seed"].endswith("; demo pages already there")
    assert demo_page_states(db) == states
    repeat = again["kiosk.demo.whiteboard:seed"]
    assert "0 staff records created" in repeat and repeat.count("nothing needed changing") == 2
    assert again["kiosk.demo.readiness:seed"] == "readiness: Clean utility already counted; no bed to reserve; " \
                                                 "0 alerts created; 0 checklist " \
                       "items ticked."

    app = create_app(settings, testing=True)
    with app.app_context(), database().session() as session:
        ensure_demo_staff(session, settings.identifiers.practitioner)
    client = sign_in_client(app.test_client(), Role.NURSE)
    board = page_text(client.get("/whiteboard/").get_data(as_text=True))
    assert "Charge nurse Daniel K." in board and "Grace L." in board
    assert "Admission Ready" in board and "3 of 6: O2, bed, bariatric" in board
    assert "1 of 5: clean, suction, O2, bed" in board
    pages = page_text(client.get("/paging/").get_data(as_text=True))
    for words in ("Waiting to be sent", "Check delivery", "Backup paged", "Paged again", "Acknowledged by ",
                  "Called back", "Cancelled"):
        assert words in pages, words
    screen = client.get("/whiteboard/assign").get_data(as_text=True)
    assert "linked to no Practitioner" not in screen  # the demo nurse and aide are the demo's Practitioners
    db.dispose()
    gw.close()
