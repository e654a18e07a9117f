"""The kiosk's home screen: the unit at a glance and the way into each workflow."""

from flask import Flask

from .views import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
