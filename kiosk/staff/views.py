from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.auth import Role, current_staff, roles_required
from kiosk.auth.services import AccountError
from kiosk.extensions import database, now, settings

from . import services
from .forms import ResetPinForm, StaffForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
ADMIN = roles_required(Role.ADMINISTRATOR, what="manage staff accounts")


def _page(form: StaffForm, message: str | None = None, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    with database().session() as db:
        rows = services.staff_rows(db)
        alerts = services.sign_in_alerts(db)
    return render_template("staff/page.html", rows=rows, alerts=alerts, form=form, reset_form=ResetPinForm(),
                           message=message, error=error, me=current_staff()), status


@bp.get("/")
@ADMIN
def index():  # type: ignore[no-untyped-def]
    return _page(StaffForm(formdata=None))


@bp.post("/")
@ADMIN
def add():  # type: ignore[no-untyped-def]
    form = StaffForm()
    if not form.validate_on_submit():
        return _page(form, error="The account was not added: check the fields marked below.", status=400)
    try:
        with database().session() as db:
            account = services.create(db, badge=form.badge.data or "", display_name=form.display_name.data or "",
                                      role=form.role.data or "", practitioner=form.practitioner.data,
                                      pin=form.pin.data or "", min_pin_length=settings().auth.pin_min_length)
            staff_id, name = account.id, account.display_name
    except AccountError as e:
        return _page(form, error=str(e), status=400)
    audit.record("staff-add", entity=f"Staff/{staff_id}", detail=f"role {form.role.data}")
    return _page(StaffForm(formdata=None), message=f"Added {name}.")


@bp.post("/<int:staff_id>/disable")
@ADMIN
def disable(staff_id: int) -> Response:
    if staff_id == current_staff().id:
        return _page(StaffForm(formdata=None), error="You cannot disable your own account.", status=400)
    try:
        with database().session() as db:
            services.disable(db, staff_id)
    except AccountError as e:
        return _page(StaffForm(formdata=None), error=str(e), status=400)
    audit.record("staff-disable", entity=f"Staff/{staff_id}")
    return redirect(url_for("staff.index"))


@bp.post("/<int:staff_id>/reset-pin")
@ADMIN
def reset_pin(staff_id: int):  # type: ignore[no-untyped-def]
    form = ResetPinForm()
    if not form.validate_on_submit():
        errors = "; ".join(e for field in form for e in field.errors)
        return _page(StaffForm(formdata=None), error=f"The PIN was not changed: {errors}", status=400)
    try:
        with database().session() as db:
            account = services.new_pin(db, staff_id, form.pin.data or "", settings().auth.pin_min_length)
            name = account.display_name
    except AccountError as e:
        return _page(StaffForm(formdata=None), error=str(e), status=400)
    audit.record("staff-reset-pin", entity=f"Staff/{staff_id}")
    return _page(StaffForm(formdata=None), message=f"New PIN set for {name}.")


@bp.post("/alerts/<int:alert_id>/acknowledge")
@ADMIN
def acknowledge_alert(alert_id: int) -> Response:
    with database().session() as db:
        done = services.acknowledge_alert(db, alert_id, current_staff().display_name, now())
    if not done:
        abort(404, "There is no such open alert.")
    audit.record("alert-acknowledged", entity=f"SignInAlert/{alert_id}")
    return redirect(url_for("staff.index"))
