"""Reviewing the audit trail: the page where a charge nurse or an administrator searches and exports it,
and the alarm administrators see when the trail's hash chain is found broken.

Apart from `kiosk/audit` (the trail itself), which every workflow and sign-in write to: the review needs
sign-in's roles, and sign-in needs the trail, so the two live in different packages and import one way."""

from __future__ import annotations

from flask import Flask, g

from kiosk.auth import Role
from kiosk.nav import NavItem, add_nav

from .views import REVIEWERS, bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_chain_alarm_for_templates)
    add_nav(app, NavItem("audit.index", "Audit", "Who looked at, printed or changed what", "clipboard", order=90,
                         roles=REVIEWERS))


def _chain_alarm_for_templates() -> dict[str, object]:
    """`audit_chain_alarm()` in templates: for administrators, what the last check of the audit chain
    found broken (None otherwise). Read only by the pages that show it (Audit, Staff)."""

    def alarm() -> str | None:
        from kiosk.audit.chain import chain_alarm
        from kiosk.extensions import database

        staff = g.get("staff")
        if staff is None or getattr(staff, "role", None) != Role.ADMINISTRATOR:
            return None
        with database().session() as db:
            return chain_alarm(db)

    return {"audit_chain_alarm": alarm}
