"""The audit trail: every sign-in, lock, failed PIN, patient view, print and FHIR write, append-only.

`record(...)` is the one call features make; see docs/architecture.md.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context

from .services import SYSTEM_ACTOR, Actor, append


def record(action: str, *, patient: str | None = None, entity: str | None = None, detail: str | None = None,
           outcome: str = "success", actor: object | None = None) -> None:
    """Append one audit row in its own transaction (it is kept even if the request then fails).

    `actor` is a StaffMember (default: the signed-in person, else the kiosk system). `patient` and
    `entity` are references ("Patient/123", "PrintJob/42"); `detail` must hold no patient data.
    """
    from kiosk.extensions import database, settings

    who = _actor(actor)
    with database().session() as db:
        append(db, station=settings().station.id, actor=who, action=action, outcome=outcome, patient=patient,
               entity=entity, detail=detail)


def _actor(actor: object | None) -> Actor:
    staff = actor
    if staff is None and has_request_context():
        staff = g.get("staff") or g.get("locked_staff")
    if staff is None:
        return SYSTEM_ACTOR
    role = getattr(staff, "role", None)
    return Actor(badge=getattr(staff, "badge", None), name=getattr(staff, "display_name", None),
                 role=getattr(role, "value", role))


def register(app: Flask) -> None:
    from kiosk.auth import Role
    from kiosk.nav import NavItem, add_nav

    from .views import bp

    app.register_blueprint(bp)
    add_nav(app, NavItem("audit.index", "Audit", "Who looked at, printed or changed what", "clipboard", order=90,
                         roles=(Role.CHARGE_NURSE, Role.ADMINISTRATOR)))
