"""What each workflow seeds for the demo (`kiosk seed-demo`, run by `make run`) on top of the hospital:
orders in every state, transport jobs, pages, care teams ... Each workflow writes its seeding in
kiosk/demo/<workflow>.py as `seed(ctx: DemoContext) -> str` (idempotent: a second run creates nothing
and says so) and adds one line to DEMO_EXTRAS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway


@dataclass(frozen=True)
class DemoContext:
    settings: Settings
    gateway: FhirGateway
    database: Database
    say: Callable[[str], None]


#: 'module:function' of each workflow's demo seeding, in order.
DEMO_EXTRAS: tuple[str, ...] = (
    "kiosk.demo.paging:seed",
    "kiosk.demo.whiteboard:seed",
    "kiosk.demo.readiness:seed",
    "kiosk.demo.transport:seed",
    "kiosk.demo.orders:seed",
    "kiosk.demo.placement:seed",
)


def seed_extras(ctx: DemoContext, extras: tuple[str, ...] = DEMO_EXTRAS) -> list[str]:
    """Run every workflow's demo seeding; returns (and says) one line each."""
    lines = []
    for spec in extras:
        module, _, function = spec.partition(":")
        line = getattr(import_module(module), function)(ctx)
        ctx.say(line)
        lines.append(line)
    return lines
