"""Paging providers: compose a page (about a patient: room and initials only), send it through an outbox
(SMTP and a signed webhook), acknowledgement by a one-time link, by the messaging platform or by the
secretary, escalation by the scheduler, and the FHIR record of each page (CommunicationRequest and a
Communication per message) where the server takes it.

What other workflows may use (a call light pages a nurse): `unit_nurses`, `page_nurse`, `page_states`
and their view objects, all within a web request of the kiosk; and, outside a request (the scheduler),
`page_role` (page an on-call role once per idempotency key: transport pages its dispatcher), `page_person`
(page one person the same way: an emergency call light pages the bed's nurse), `first_escalation_at` (when a
page of an urgency is first escalated), `close_page` and `on_call_role_names`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from kiosk.config import Settings
    from kiosk.db import Database
    from kiosk.fhir.gateway import FhirGateway

    from .offer import Nurse, PageOutcome, PageState
    from .on_behalf import RolePage
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


def page_role(settings: Settings, gw: FhirGateway, database: Database, *, role: str, key: str, urgency: str,
              text: str, room: str, initials: str, source: str, now: datetime, template: str = "transport",
              patient_ref: str | None = None, encounter_ref: str | None = None) -> RolePage:
    """Page whoever is on call as `role` now, once per `key` (a second call finds the first page), from
    outside a web request. The message names the room and initials only, and `text`."""
    from .compose import About
    from .on_behalf import page_role as page

    about: About | None = About(room, initials) if room or initials else None
    return page(settings, gw, database, role=role, key=key, urgency=urgency, template=template, text=text,
                about=about, source=source, now=now, patient_ref=patient_ref, encounter_ref=encounter_ref)


def page_person(settings: Settings, gw: FhirGateway, database: Database, *, ref: str, key: str, urgency: str,
                text: str, room: str, source: str, now: datetime, template: str = "call-light",
                patient_ref: str | None = None, encounter_ref: str | None = None) -> RolePage:
    """Page one person ('PractitionerRole/<id>', or 'Practitioner/<id>' by their role: the whiteboard names
    people) once per `key`, from outside a web request, as `page_role` pages a role. The message names the
    room only, and `text`."""
    from .compose import About
    from .on_behalf import page_person as page

    return page(settings, gw, database, ref=ref, key=key, urgency=urgency, template=template, text=text,
                about=About(room, "") if room else None, source=source, now=now, patient_ref=patient_ref,
                encounter_ref=encounter_ref)


def first_escalation_at(start: datetime, urgency: str, settings: Settings | None = None) -> datetime:
    """When an unanswered page of `urgency` sent at `start` is first escalated (paged again:
    <urgency>_repeat_minutes of config/paging.toml [escalation]). Without `settings`, the web app's."""
    from .escalation import timetable
    from .settings import PAGING_FILE

    if settings is None:
        from kiosk.settings_files import settings_of

        config = settings_of(PAGING_FILE)
    else:
        config = PAGING_FILE.read(settings)
    return timetable(start, urgency, config.settings.escalation).repeat_at


def close_page(settings: Settings, database: Database, page_id: int, why: str,
               clock: Callable[[], datetime] | None = None) -> bool:
    """Cancel a page still waiting for an answer because what it was about is over (False if answered);
    `clock`: the caller's (a scheduled job's), for the time it was closed."""
    from .on_behalf import close_page as close

    return close(settings, database, page_id, why, clock)


__all__ = ["close_page", "first_escalation_at", "on_call_file", "page_nurse", "page_person", "page_role", "page_states",
           "register", "seed_demo_pages", "unit_nurses"]
