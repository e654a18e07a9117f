"""Bed placement in the demo: bed requests waiting for the kiosk's unit (from the ED, recovery, another
unit, a direct admission) with realistic needs, so that the charge nurse's screen always has work.
`seed` is idempotent (fixed request numbers); `admissions(ctx, n)` adds n new ones on every call
(`kiosk seed-demo --admissions N`)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from kiosk.placement import Admission, Systems, admission_transaction, open_requests

from .extras import DemoContext

#: Bed requests waiting when `make run` starts.
OPEN_AT_START = 3

#: (family, given, gender, birth date, origin, needs, who asks)
PROFILES: tuple[tuple[str, tuple[str, ...], str, str, str, tuple[str, ...], str], ...] = (
    ("Alvarez", ("Rosa",), "female", "1948-03-12", "ed", ("telemetry",), "ED charge nurse"),
    ("Osei", ("Kwame",), "male", "1961-07-30", "recovery", (), "PACU nurse"),
    ("Lindqvist", ("Ingrid",), "female", "1939-11-02", "ed", ("isolation-contact",), "ED charge nurse"),
    ("Brennan", ("Patrick", "Joseph"), "male", "1972-01-19", "direct", ("bariatric",), "Admitting office"),
    ("Nakamura", ("Yuki",), "female", "1985-05-08", "unit", ("isolation-droplet",), "3 East charge nurse"),
    ("Moreau", ("Étienne",), "male", "1955-09-23", "ed", ("isolation-airborne", "telemetry"), "ED charge nurse"),
    ("Adeyemi", ("Funmilayo",), "female", "1990-12-14", "recovery", ("telemetry",), "PACU nurse"),
    ("Kaczmarek", ("Tomasz",), "male", "1944-04-04", "unit", (), "ICU charge nurse"),
)


def _admission(i: int, number: str, mrn: str, encounter_number: str) -> Admission:
    family, given, gender, born, origin, needs, requester = PROFILES[i % len(PROFILES)]
    return Admission(number=number, mrn=mrn, encounter_number=encounter_number, family=family, given=given,
                     gender=gender, birth_date=born, origin=origin, needs=needs, requester=requester)


def _send(ctx: DemoContext, admissions: list[Admission]) -> int:
    gw = ctx.gateway
    unit = f"Location/{gw.unit_location_id()}"
    now = datetime.now(UTC).replace(microsecond=0)
    created = 0
    for adm in admissions:
        results = gw.client.transaction(admission_transaction(adm, unit, gw.identifiers, now))
        created += 1 if any(r.created for r in results) else 0
    return created


def seed(ctx: DemoContext) -> str:
    """The three demo requests; when the unit has fewer than three open ones (the demo's were assigned or
    declined), new ones up to three, so that `make run` always starts with work waiting."""
    fixed = [_admission(i, f"PL-DEMO{i + 1:04d}", f"{39000001 + i:08d}",
                        f"{69000001 + i:09d}") for i in range(OPEN_AT_START)]
    created = _send(ctx, fixed)
    gw = ctx.gateway
    waiting = [r for r in open_requests(gw, Systems(gw.identifiers.code_systems), f"Location/{gw.unit_location_id()}")
               if r.status == "requested"]
    topped = admissions(ctx, OPEN_AT_START - len(waiting)) if len(waiting) < OPEN_AT_START else ""
    return (f"Bed placement: {len(fixed)} demo bed requests ({created} new, {len(fixed) - created} already there)"
            + (f"; {topped.removeprefix('Bed placement: ')}" if topped else "."))


def admissions(ctx: DemoContext, n: int) -> str:
    """n new bed requests, each a new patient and planned stay (never the same twice)."""
    batch = []
    for i in range(n):
        token = secrets.randbelow(10**7)
        batch.append(_admission(secrets.randbelow(len(PROFILES)) + i, "PL-" + secrets.token_hex(4).upper(),
                                f"4{token:07d}", f"7{token:08d}"))
    created = _send(ctx, batch)
    return f"Bed placement: {created} new demo admissions waiting for a bed."
