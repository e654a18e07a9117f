"""Staff accounts managed by an administrator at the kiosk (the same rules as `kiosk user ...`), and
badges locked after wrong PINs, unlocked by a charge nurse or an administrator."""

from __future__ import annotations

from flask import Flask

from kiosk.auth import Role
from kiosk.nav import HomePanel, NavItem, add_home_panel, add_nav


def register(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    add_nav(app, NavItem("staff.index", "Staff", "Badges, roles and PINs", "badge", order=95,
                         roles=(Role.ADMINISTRATOR,)))
    add_home_panel(app, HomePanel("staff.home_locked", order=4))
