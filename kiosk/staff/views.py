"""The staff page: administrators manage accounts; charge nurses and administrators unlock badges
locked after wrong PINs. The home screen shows locked badges to those who may unlock them."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.auth import Role, current_staff, has_role, roles_required
from kiosk.auth.services import AccountError
from kiosk.extensions import database, now, settings

from . import services
from .forms import ResetPinForm, StaffForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
ADMIN = roles_required(Role.ADMINISTRATOR, what="manage staff accounts")
UNLOCKERS = (Role.CHARGE_NURSE, Role.ADMINISTRATOR)


def _page(form: StaffForm, message: str | None = None, error: str | None = None, status: int = 200,
          confirm_disable: int | None = None):  # type: ignore[no-untyped-def]
    admin = has_role(Role.ADMINISTRATOR)
    with database().session() as db:
        locked = services.locked_rows(db, now())
        rows = services.staff_rows(db) if admin else []
        alerts = services.sign_in_alerts(db) if admin else []
    return render_template("staff/page.html", rows=rows, alerts=alerts, locked=locked, form=form,
                           reset_form=ResetPinForm(), message=message, error=error, me=current_staff(), admin=admin,
                           confirm_disable=confirm_disable), status


@bp.get("/")
@roles_required(*UNLOCKERS, what="see staff accounts")
def index():  # type: ignore[no-untyped-def]
    confirm = request.args.get("disable", type=int) if has_role(Role.ADMINISTRATOR) else None
    return _page(StaffForm(formdata=None), confirm_disable=confirm)


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
def disable(staff_id: int):  # type: ignore[no-untyped-def]
    """Disabling takes two taps: the first (a link to the page with `?disable=`) shows the confirm
    button; only a form sent with confirm=yes disables. A POST without it shows the confirm again."""
    if staff_id == current_staff().id:
        return _page(StaffForm(formdata=None), error="You cannot disable your own account.", status=400)
    if request.form.get("confirm") != "yes":
        return _page(StaffForm(formdata=None), status=400, confirm_disable=staff_id,
                     error="Confirm with the red button in the account's row, or keep the account.")
    try:
        with database().session() as db:
            name = services.disable(db, staff_id).display_name
    except AccountError as e:
        return _page(StaffForm(formdata=None), error=str(e), status=400)
    audit.record("staff-disable", entity=f"Staff/{staff_id}")
    return _page(StaffForm(formdata=None), message=f"Disabled {name}: they cannot sign in until enabled again.")


@bp.post("/<int:staff_id>/enable")
@ADMIN
def enable(staff_id: int):  # type: ignore[no-untyped-def]
    try:
        with database().session() as db:
            name = services.enable(db, staff_id).display_name
    except AccountError as e:
        return _page(StaffForm(formdata=None), error=str(e), status=400)
    audit.record("staff-enable", entity=f"Staff/{staff_id}")
    return _page(StaffForm(formdata=None), message=f"Enabled {name}: they can sign in with their PIN again.")


@bp.post("/<int:staff_id>/unlock")
@roles_required(*UNLOCKERS, what="unlock a badge")
def unlock(staff_id: int):  # type: ignore[no-untyped-def]
    try:
        with database().session() as db:
            name = services.unlock(db, staff_id, now())
    except AccountError as e:
        return _page(StaffForm(formdata=None), error=str(e), status=409)
    audit.record("badge-unlocked", entity=f"Staff/{staff_id}", detail="badge lockout ended by hand")
    return _page(StaffForm(formdata=None), message=f"Unlocked {name}'s badge: they can sign in now.")


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


@bp.get("/home/locked")
def home_locked() -> str:
    """The home screen's panel: badges locked now, for those who may unlock them (nothing for others;
    database only)."""
    locked = []
    if has_role(*UNLOCKERS):
        with database().session() as db:
            locked = services.locked_rows(db, now())
    return render_template("staff/_home_locked.html", locked=locked)
