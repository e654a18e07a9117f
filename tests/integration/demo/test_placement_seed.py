"""`kiosk seed-demo` seeds the demo's bed requests once, and `--admissions N` adds N new ones on every
run, on a FHIR server of its own (the session's demo unit is read by other tests and must not change)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.cli_context import KioskContext
from kiosk.fhir.gateway import FhirGateway
from kiosk.placement.fhir import Systems, open_requests
from tests.conftest import make_settings
from tests.support.sekmet import SekmetServer, start_sekmet


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[SekmetServer]:
    server = start_sekmet(tmp_path / "sekmet")
    yield server
    server.stop()


def test_seed_demo_with_admissions_adds_that_many_requests(own_server: SekmetServer, tmp_path: Path) -> None:
    settings = make_settings(own_server.base_url, tmp_path / "kiosk.db")
    kiosk = KioskContext()
    kiosk._settings = settings
    runner = CliRunner()
    first = runner.invoke(cli, ["seed-demo"], obj=kiosk)
    assert first.exit_code == 0, first.output
    gw = FhirGateway.from_settings(settings)
    try:
        unit = f"Location/{gw.unit_location_id()}"
        sys = Systems(gw.identifiers.code_systems)
        before = open_requests(gw, sys, unit)
        assert len(before) == 3 and {r.origin for r in before} >= {"ed", "recovery"}
        again = runner.invoke(cli, ["seed-demo", "--admissions", "3"], obj=kiosk)
        assert again.exit_code == 0, again.output
        assert "3 new demo admissions" in again.output
        after = open_requests(gw, sys, unit)
        assert len(after) == 6
        new = [r for r in after if r.id not in {b.id for b in before}]
        assert all(r.patient is not None and r.encounter is not None and r.encounter.status == "planned" for r in new)
        # When the demo's requests have been answered, the next run tops the waiting ones up to three.
        for req in after[:5]:
            task = {**req.task, "status": "rejected", "statusReason": {"text": "demo"}}
            gw.client.update(task, version=task["meta"]["versionId"])
        third = runner.invoke(cli, ["seed-demo"], obj=kiosk)
        assert third.exit_code == 0, third.output
        waiting = [r for r in open_requests(gw, sys, unit) if r.status == "requested"]
        assert len(waiting) == 3
    finally:
        gw.close()
