"""Sign-in, lock and sign-out pages. Badge first (scanned or typed), then the PIN on a keypad."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.extensions import database, now, settings
from kiosk.http import client_address, same_site_path
from kiosk.web import is_htmx

from .forms import BadgeForm, PinForm
from .models import StaffAccount, StaffSession
from .services import (
    SignInOutcome,
    SignInResult,
    StaffMember,
    attempt_pin,
    end_session,
    find_account,
    lock_session,
    normalise_badge,
    start_session,
    unlock_session,
)
from .session import SESSION_KEY, public, return_path

bp = Blueprint("auth", __name__)

PENDING_BADGE = "pending_badge"


def _cookie_session(db) -> StaffSession | None:  # type: ignore[no-untyped-def]
    sid = session.get(SESSION_KEY)
    found = db.get(StaffSession, sid) if sid else None
    if found is None or found.ended_at is not None:
        return None
    return found


@bp.get("/sign-in")
@public
def sign_in() -> str:
    return render_template("auth/sign_in.html", form=BadgeForm())


@bp.post("/sign-in/badge")
@public
def badge() -> str | Response:
    form = BadgeForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form), 400  # type: ignore[return-value]
    scanned = normalise_badge(form.badge.data or "")
    with database().session() as db:
        current = _cookie_session(db)
        if current is not None:
            account = find_account(db, scanned)
            if account is not None and account.id == current.staff_id and current.locked:
                return redirect(url_for("auth.locked"))
            if account is None or account.id != current.staff_id:
                # Another person at the kiosk: the previous sign-in ends, nothing of it carries over.
                end_session(current, now())
                session.pop(SESSION_KEY, None)
    session[PENDING_BADGE] = scanned
    return redirect(url_for("auth.pin"))


@bp.route("/sign-in/pin", methods=["GET", "POST"])
@public
def pin() -> str | Response:
    scanned = session.get(PENDING_BADGE)
    if not scanned:
        return redirect(url_for("auth.sign_in"))
    form = PinForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/pin.html", form=form, badge_hint=scanned[-2:]), status  # type: ignore[return-value]
    rules = settings().auth
    with database().session() as db:
        result = attempt_pin(db, scanned, form.pin.data or "", rules, client_address(), now())
        account = find_account(db, scanned)
        who = StaffMember.of(account) if account else None
        if result.outcome is SignInOutcome.OK and result.staff is not None:
            new = start_session(db, result.staff, now())
            sid = new.id
    if result.outcome is not SignInOutcome.OK:
        _record_failure(result, who, scanned)
        return render_template("auth/pin.html", form=PinForm(formdata=None), badge_hint=scanned[-2:],
                               error=result.message), 401  # type: ignore[return-value]
    session.clear()
    session[SESSION_KEY] = sid
    audit.record("sign-in", actor=result.staff)
    return redirect(url_for("home.index"))


def _record_failure(result: SignInResult, who: StaffMember | None, badge: str) -> None:
    """A badge that matches no account is not written down: it may be anything scanned, an armband too.
    An attempt refused unchecked during the client's wait is not recorded one by one (the wait and its
    alert are)."""
    if result.outcome is SignInOutcome.CLIENT_WAIT:
        return
    entity = f"Badge/{badge}" if who else "Badge/unknown"
    detail = None if who else "badge matches no account"
    audit.record(failure_action(result), entity=entity, detail=detail, outcome="failure", actor=who)
    failure = result.client_failure
    if failure is not None and failure.delayed:
        audit.record("sign-in-throttled", entity=f"SignInAlert/{failure.alert_id}", outcome="failure", actor=who,
                     detail=f"client {failure.client}: {failure.level} wrong PINs across badges, next attempt "
                            f"in {failure.wait_seconds} s")


def failure_action(result: SignInResult) -> str:
    """The audit action for a sign-in or unlock that did not succeed, saying what it was: a wrong PIN,
    the wrong PIN that locked the badge, a try while the badge was locked (the PIN was not checked),
    or the right PIN of a disabled account."""
    if result.outcome is SignInOutcome.ACCOUNT_DISABLED:
        return "pin-account-disabled"
    if result.just_locked:
        return "badge-locked"
    if result.outcome is SignInOutcome.BADGE_LOCKED and not result.pin_checked:
        return "pin-while-locked"
    return "pin-failed"


@bp.get("/locked")
@public
def locked() -> str | Response:
    with database().session() as db:
        current = _cookie_session(db)
        if current is None:
            return redirect(url_for("auth.sign_in"))
        account_name = _locked_name(db, current)
    return render_template("auth/locked.html", form=PinForm(), name=account_name, badge_form=BadgeForm())


def _locked_name(db, current: StaffSession) -> str:  # type: ignore[no-untyped-def]
    account = db.get(StaffAccount, current.staff_id)
    return account.display_name if account else ""


#: Sent by the lock veil's script (kiosk.js): lock or unlock without leaving the page, answered with a
#: status and, for a refusal, one plain sentence.
IN_PLACE_HEADER = "X-Lock-In-Place"


def _in_place() -> bool:
    return request.headers.get(IN_PLACE_HEADER) == "1"


def _said(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")


@bp.post("/unlock")
@public
def unlock() -> str | Response:
    """The PIN of the person the session is locked for: from the lock screen (back to where they were),
    or from the veil over the page they were on (in place: 204, and the page is as they left it)."""
    form = PinForm()
    rules = settings().auth
    in_place = _in_place()
    with database().session() as db:
        current = _cookie_session(db)
        if current is None:
            if in_place:
                response = _said("You were signed out.", 401)
                response.headers["HX-Redirect"] = url_for("auth.sign_in")
                return response
            return redirect(url_for("auth.sign_in"))
        account = db.get(StaffAccount, current.staff_id)
        name = account.display_name if account else ""
        if account is None or not form.validate_on_submit():
            if in_place and account is not None and form.pin.errors:
                return _said(form.pin.errors[0], 400)
            return render_template("auth/locked.html", form=form, name=name, badge_form=BadgeForm()), 400  # type: ignore[return-value]
        result = attempt_pin(db, account.badge, form.pin.data or "", rules, client_address(), now())
        if result.outcome is SignInOutcome.OK:
            unlock_session(current, now())
            back = current.return_to
            current.return_to = None
            staff = result.staff
        else:
            staff = StaffMember.of(account)
    if result.outcome is not SignInOutcome.OK:
        _record_failure(result, staff, account.badge)
        if in_place:
            return _said(result.message, 401)
        return render_template("auth/locked.html", form=PinForm(formdata=None), name=name, badge_form=BadgeForm(),
                               error=result.message), 401  # type: ignore[return-value]
    audit.record("unlock", actor=staff, detail="in place, the page kept" if in_place else None)
    if in_place:
        return Response(status=204)
    return redirect(same_site_path(back) or url_for("home.index"))


@bp.post("/lock")
def lock() -> Response:
    """Lock now (the button, or the page's idle timer): the session stays, the screen shows nothing."""
    with database().session() as db:
        current = db.get(StaffSession, g.staff_session_id)
        if current is not None:
            lock_session(current, return_to=return_path() or same_site_path(request.form.get("return_to")))
    audit.record("lock")
    if _in_place():
        return Response(status=204)
    response = redirect(url_for("auth.locked"))
    if is_htmx():
        response = Response(status=200)
        response.headers["HX-Redirect"] = url_for("auth.locked")
    return response


@bp.get("/session/alive")
def alive() -> Response:
    """The page's heartbeat while someone is working on it without requests (typing a count, filling
    a form): enforce_sign_in has already noted the touch report (believed for a bounded time only), or
    answered with the lock."""
    return Response(status=204)


@bp.post("/sign-out")
def sign_out() -> Response:
    with database().session() as db:
        current = db.get(StaffSession, g.staff_session_id)
        if current is not None:
            end_session(current, now())
    audit.record("sign-out")
    session.clear()
    return redirect(url_for("auth.sign_in"))
