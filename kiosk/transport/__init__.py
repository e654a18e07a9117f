"""Patient transport: requests from a patient's panel (or an order, a transfer, a discharge), the
unit's transport board, the transporters' phone screen, escalation of jobs nobody accepted in time,
and the response-time figures. Jobs are ServiceRequest + Task on the FHIR server
(kiosk/transport/fhir.py); the escalations live in the kiosk's database. Other workflows may read a
patient's moves (`moves_of_patients`: bed placement's "in transit")."""

from __future__ import annotations

from flask import Flask

from kiosk.auth import Role
from kiosk.nav import (
    BedMark,
    HomePanel,
    MoveOffer,
    NavItem,
    PatientLink,
    UnitBeds,
    add_bed_marks,
    add_home_panel,
    add_move_offers,
    add_nav,
    add_patient_link,
)

from .fhir import Need, PlaceRef, Systems, staff_reference
from .moves import Move, moves_of_patients
from .seeding import JobSpec, job_transaction

__all__ = ["JobSpec", "Move", "Need", "PlaceRef", "Systems", "job_transaction", "moves_of_patients", "register",
           "staff_reference"]


def _marks(beds: UnitBeds) -> dict[str, list[BedMark]]:
    """The transport marks on the bed board's tiles (one search per board render)."""
    from kiosk.extensions import gateway

    from .services import marks_for_beds, utc_now

    return marks_for_beds(gateway(), beds, utc_now())


def _moves(encounter: str) -> list[MoveOffer]:
    """The move into the new bed once a transfer's transport is delivered, for the bed board's panel (one
    search). A server where transport jobs cannot be read offers none: the panel still works."""
    from kiosk.extensions import gateway
    from kiosk.fhir.errors import FhirError
    from kiosk.settings_files import settings_of

    from .services import moves_to_make, utc_now
    from .settings import TRANSPORT_FILE

    try:
        return moves_to_make(gateway(), settings_of(TRANSPORT_FILE), utc_now(), encounter)
    except FhirError:
        return []


def register(app: Flask) -> None:
    from kiosk.settings_files import register_settings

    from .settings import TRANSPORT_FILE
    from .views import bp

    register_settings(app, TRANSPORT_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("transport.board", "Transport", "Ask for patient transport and follow every job",
                         "wheelchair", order=30, roles=(Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.PROVIDER,
                                                        Role.ADMINISTRATOR)))
    add_nav(app, NavItem("transport.worklist", "My jobs", "Transport jobs of your zone", "wheelchair", order=5,
                         roles=(Role.TRANSPORTER,)))
    desk = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
    add_patient_link(app, PatientLink("transport.request_form", "Request transport", order=30, roles=desk))
    add_patient_link(app, PatientLink("transport.request_form", "Request transport to the new bed", order=30,
                                      roles=desk, when="transfer", args=(("purpose", "transfer"),)))
    add_patient_link(app, PatientLink("transport.request_form", "Request transport for the discharge", order=30,
                                      roles=desk, when="discharge", args=(("purpose", "discharge"),)))
    add_home_panel(app, HomePanel("transport.home_panel", order=15))
    add_bed_marks(app, _marks)
    add_move_offers(app, _moves)
