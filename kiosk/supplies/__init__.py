"""Supplies: counts at the kiosk, the supplies page, and the home screen's zero-stock alert.

The par levels and supplies settings are checked when the app starts: a wrong file stops start-up
with one sentence naming its line. The checks themselves run in the scheduler (kiosk/supplies/jobs.py).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from kiosk.nav import HomePanel, NavItem, add_home_panel, add_nav
    from kiosk.settings_files import register_settings

    from .config import SUPPLIES_FILE
    from .views import bp

    register_settings(app, SUPPLIES_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("supplies.index", "Supplies", "Count the supply room, see reorders", "box", order=70))
    add_home_panel(app, HomePanel("supplies.alert", order=5))
