"""Call lights: each call from a bed (from the nurse-call system's signed webhook, or two taps at the
kiosk), a bell on the bed's tile until it is answered, one tap to page the bed's nurse (through paging),
answered at the bedside or at the kiosk with its response time, and the figures per shift."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from kiosk.nav import HomePanel, NavItem, add_bed_marks, add_home_panel, add_nav
    from kiosk.settings_files import register_settings

    from .settings import CALLS_FILE
    from .views import bed_marks, bp

    register_settings(app, CALLS_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("calls.index", "Call lights", "Calls from the beds: page the nurse, log the answer",
                         "bell", order=35))
    add_home_panel(app, HomePanel("calls.home_panel", order=15))
    add_bed_marks(app, bed_marks)
