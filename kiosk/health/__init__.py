"""/healthz: is the kiosk able to work? (FHIR reachable, database current, version). No patient data."""

from flask import Flask

from .views import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
