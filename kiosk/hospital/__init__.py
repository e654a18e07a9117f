"""The hospital view: every unit of the site with its bed counts (the bed board's rules), on one screen,
reached from a panel on the home screen."""

from __future__ import annotations

from flask import Flask

from kiosk.nav import HomePanel, add_home_panel

__all__ = ["register"]


def register(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    add_home_panel(app, HomePanel("hospital.home_panel", order=90))
