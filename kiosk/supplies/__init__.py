"""Supplies: counts at the kiosk, the supplies page, and the home screen's zero-stock alert.

The par levels and supplies settings are checked when the app starts: a wrong file stops start-up
with one sentence naming its line. The checks themselves run in the scheduler (kiosk/supplies/jobs.py).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from kiosk.extensions import database, services
    from kiosk.nav import NavItem, add_nav

    from .config import load_supplies
    from .services import zero_alert
    from .views import EXTENSION_KEY, bp, config

    with app.app_context():
        app.extensions[EXTENSION_KEY] = load_supplies(services().settings)
    app.register_blueprint(bp)
    add_nav(app, NavItem("supplies.index", "Supplies", "Count the supply room, see reorders", "box", order=70))

    def supply_zero_alert():  # type: ignore[no-untyped-def]
        """For templates (the home screen): evaluated only where the alert partial is included."""
        return zero_alert(config(), database())

    app.jinja_env.globals["supply_zero_alert"] = supply_zero_alert
