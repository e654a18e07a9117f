"""Orders under provider direction: telephone, verbal, written and protocol orders entered at the kiosk
with a read-back, the provider's co-signature, discontinuing, and the specimen labels of lab orders.
Orders are ServiceRequest + Provenance + a co-signature Task on the FHIR server (kiosk/fhir/orders.py);
the kiosk's database keeps the scheduler's counts and the label prints asked for from an order."""

from __future__ import annotations

from flask import Flask

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.nav import HomePanel, PatientLink, add_home_panel, add_patient_link

from .seeding import OrderSpec, order_transaction
from .settings import ORDERS_FILE, OrdersSettings

__all__ = ["OrderSpec", "load_orders_settings", "order_transaction", "register"]


def load_orders_settings(settings: Settings) -> OrdersSettings:
    """config/orders.toml and its catalog, read outside the web app (the demo seeding, commands)."""
    return ORDERS_FILE.read(settings)


def register(app: Flask) -> None:
    from kiosk.settings_files import register_settings

    from .views import bp

    register_settings(app, ORDERS_FILE)
    app.register_blueprint(bp)
    add_patient_link(app, PatientLink("orders.patient", "Orders", order=20,
                                      roles=(Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.PROVIDER, Role.NURSE)))
    add_home_panel(app, HomePanel("orders.home_panel", order=12))
