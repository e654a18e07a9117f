"""Supplies test helpers: a unit of its own on the test FHIR server (so reorder identifiers never meet
another test's), a small par file, counts, and capability statements injected into the gateway."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.settings_files import settings_of
from kiosk.supplies.check import CheckReport, run_check
from kiosk.supplies.config import SUPPLIES_FILE, SuppliesConfig, load_supplies
from kiosk.supplies.counts import Counter, record_counts
from kiosk.supplies.fhir import read_by_ids

ROOT = Path(__file__).resolve().parents[2]
CAPABILITIES = ROOT / "tests" / "fixtures" / "capability"
EPIC = CAPABILITIES / "epic-r4-2026-05.json"
ORACLE = CAPABILITIES / "oracle-health-millennium-r4.json"

SMALL_PAR = """\
[locations.SUPPLY]
name = "Supply room"
kind = "room"

[locations.CRASH]
name = "Crash cart"
kind = "cabinet"

[items]
SUPPLY = [
  { code = "100112", description = "IV start kit", unit = "each", par = 30, reorder = 12, bin = "T-SR-A01" },
  { code = "100410", description = "Saline flush 10 mL", unit = "each", par = 200, reorder = 80, bin = "T-SR-A05" },
  { code = "100802", description = "Exam gloves, nitrile, medium", unit = "box", par = 24, reorder = 8 },
  { code = "100910", description = "Isolation gown, yellow", unit = "each", par = 150, reorder = 60 },
]
CRASH = [
  { code = "300110", description = "Defibrillator pads, adult", unit = "pair", par = 2, reorder = 1, bin = "T-CC-01" },
  { code = "300120", description = "Bag-valve-mask resuscitator, adult", unit = "each", par = 2, reorder = 1 },
]
"""


def supplies_env(par_file: Path | None = None, **extra: str) -> dict[str, str]:
    env = {**extra}
    if par_file:
        env["KIOSK_SUPPLIES_PAR_LEVELS"] = str(par_file)
    return env


def supplies_of(app: Flask) -> SuppliesConfig:
    """The supplies settings the app read at start-up."""
    with app.app_context():
        return settings_of(SUPPLIES_FILE)


def unit_env(unit: UnitRef) -> dict[str, str]:
    return {"KIOSK_UNIT_LOCATION": f"{unit.system}|{unit.value}"}


def inject_capabilities(gw: FhirGateway, statement_file: Path) -> None:
    """Make the gateway believe the server is Epic or Oracle Health (their published statements)."""
    gw.capabilities_cache.set(json.loads(statement_file.read_text()))


@dataclass
class SupplyUnit:
    """A test unit with its own settings, supplies configuration, gateway and kiosk database."""

    unit: UnitRef
    settings: Settings
    config: SuppliesConfig
    gateway: FhirGateway
    database: Database
    env: dict[str, str] = field(default_factory=dict)

    def count(self, location: str, quantities: dict[str, int], at: datetime | None = None,
              name: str | None = "Test Counter") -> None:
        record_counts(self.database, self.config.par.location(location), quantities,  # type: ignore[arg-type]
                      Counter(station="TEST-1", staff_id="S1" if name else None, name=name),
                      at or datetime.now(UTC))

    def check(self, now: datetime | None = None) -> CheckReport:
        return run_check(self.config, database=self.database, gateway=self.gateway, station="TEST-1", now=now)

    def supply_requests(self, report: CheckReport) -> dict[str, dict[str, Any]]:
        """The check's SupplyRequests as the server has them, by id."""
        return read_by_ids(self.gateway, [s.fhir_id for s in report.sent])

    def close(self) -> None:
        self.gateway.close()
        self.database.dispose()


def make_supply_unit(unit: UnitRef, settings: Settings, env: dict[str, str]) -> SupplyUnit:
    database = Database(settings.database_url)
    database.upgrade()
    return SupplyUnit(unit=unit, settings=settings, config=load_supplies(settings, env),
                      gateway=FhirGateway.from_settings(settings), database=database, env=env)
