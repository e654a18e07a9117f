"""Paging providers: compose a page (about a patient: room and initials only), send it through an outbox
(SMTP and a signed webhook), acknowledgement by a one-time link, by the messaging platform or by the
secretary, escalation by the scheduler, and the FHIR record of each page (CommunicationRequest and a
Communication per message) where the server takes it.

What other workflows may use (a call light pages a nurse): `unit_nurses`, `page_nurse`, `page_states`
and their view objects, all within a web request of the kiosk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.db import Database
    from kiosk.fhir.gateway import FhirGateway

    from .offer import Nurse, PageOutcome, PageState
    from .oncall import OnCall


def register(app: Flask) -> None:
    from kiosk.config import ConfigError
    from kiosk.nav import HomePanel, NavItem, PatientLink, add_home_panel, add_nav, add_patient_link
    from kiosk.settings_files import register_settings

    from .oncall import ON_CALL_FILE
    from .settings import PAGING_FILE
    from .views import PAGERS, bp

    paging = register_settings(app, PAGING_FILE)
    on_call = register_settings(app, ON_CALL_FILE)
    backup = paging.settings.backup_role
    if backup and on_call.role(backup) is None:
        raise ConfigError(f"{paging.source}: backup_role {backup!r} is not a role in {on_call.source} "
                          f"(roles: {', '.join(r.key for r in on_call.roles) or 'none'}).")
    app.register_blueprint(bp)
    add_nav(app, NavItem("paging.index", "Paging", "Page providers; see who answered", "pager", order=40))
    add_patient_link(app, PatientLink("paging.compose_for_patient", "Page a provider", order=40, roles=PAGERS))
    add_home_panel(app, HomePanel("paging.home_panel", order=20))


def unit_nurses() -> tuple[list[Nurse], str | None]:
    """The unit's nurses from the FHIR server (and why there are none, when the server cannot say)."""
    from .offer import unit_nurses as nurses

    return nurses()


def page_nurse(ref: str, *, bed_name: str, reason: str, emergency: bool, patient_ref: str | None = None,
               encounter_ref: str | None = None, public_id: str | None = None) -> PageOutcome:
    """Page a nurse about a call from a bed (stat for an emergency, urgent otherwise)."""
    from .offer import page_nurse as page

    return page(ref, bed_name=bed_name, reason=reason, emergency=emergency, patient_ref=patient_ref,
                encounter_ref=encounter_ref, public_id=public_id)


def page_states(page_ids: list[int]) -> dict[int, PageState]:
    """How these pages stand, from the kiosk's database."""
    from .offer import page_states as states

    return states(page_ids)


def on_call_file(settings: Settings) -> OnCall:
    """config/on-call.toml, read and checked (the demo's roles use its identifier system)."""
    from .oncall import ON_CALL_FILE

    return ON_CALL_FILE.read(settings)


def seed_demo_pages(settings: Settings, gw: FhirGateway, database: Database) -> str:
    """Pages in every state for the demo (kiosk/demo/paging.py); a second run adds none."""
    from .demo import seed_pages

    return seed_pages(settings, gw, database)


__all__ = ["on_call_file", "page_nurse", "page_states", "register", "seed_demo_pages", "unit_nurses"]
