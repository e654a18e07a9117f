"""Sign-in enforcement for every request, the signed-in person, and role checks on the server."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, render_template, request, session, url_for

from kiosk import audit
from kiosk.extensions import database, now, settings
from kiosk.http import same_site_path
from kiosk.polling import is_poll
from kiosk.web import is_htmx

from .models import StaffAccount, StaffSession
from .roles import Role, roles_phrase
from .services import Activity, StaffMember, load_session

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "sid"
#: The page's heartbeat (kiosk.js): sent only after touches that made no request of their own.
HEARTBEAT_ENDPOINT = "auth.alive"

#: Flask's own endpoint for static files; every other open view is marked with @public.
STATIC_ENDPOINT = "static"


def public(view: F) -> F:
    """Mark a view as open without a sign-in (sign-in pages, /healthz, the corridor display)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def _is_public(endpoint: str | None) -> bool:
    if endpoint is None or endpoint == STATIC_ENDPOINT:
        return True
    return bool(getattr(current_app.view_functions.get(endpoint), "public", False))


class NotSignedIn(Exception):
    """current_staff() was called outside a signed-in request."""


def current_staff() -> StaffMember:
    staff = g.get("staff")
    if staff is None:
        raise NotSignedIn("no one is signed in")
    return staff


def current_staff_or_none() -> StaffMember | None:
    return g.get("staff")


def _go(endpoint: str) -> Response:
    """Send the browser to another page; htmx requests get HX-Redirect so the whole page changes."""
    target = url_for(endpoint)
    if is_htmx():
        response = Response(status=200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _activity() -> Activity:
    """What this request says about the person at the screen, decided by the server from the request
    itself (which view, htmx or not), never from anything the page reports about its idle time."""
    if request.endpoint == HEARTBEAT_ENDPOINT:
        return Activity.TOUCH_REPORT
    if is_poll():
        return Activity.POLL
    return Activity.USER


def return_path() -> str | None:
    """Where to come back to after an unlock: the page in front of the person (a same-site path only)."""
    if is_htmx():
        current = request.headers.get("HX-Current-URL")
        return same_site_path(urlsplit(current).path) if current else None
    if request.method == "GET" and not is_poll():  # an event stream is not a page to come back to
        return same_site_path(request.path)
    return None


def enforce_sign_in() -> Response | None:
    """before_request: everything but the public endpoints needs a live, unlocked session."""
    if request.endpoint is None:
        _recognise_for_error_page()
        return None
    if _is_public(request.endpoint):
        return None
    rules = settings().auth
    with database().session() as db:
        state = load_session(db, session.get(SESSION_KEY), rules, now(), _activity())
        if state is None:
            session.pop(SESSION_KEY, None)
            return _go("auth.sign_in")
        if state.locked:
            if not state.session.return_to:
                state.session.return_to = return_path()
            g.locked_staff = state.staff
            return _go("auth.locked")
        g.staff = state.staff
        g.staff_session_id = state.session.id
        if request.method == "GET" and not is_htmx() and not is_poll():
            state.session.return_to = same_site_path(request.path)
    return None


def _recognise_for_error_page() -> None:
    """An address that matches no page still shows who is signed in (a 404 must not look like a
    sign-out); nothing is recorded and nothing is unlocked."""
    sid = session.get(SESSION_KEY)
    if not sid:
        return
    with database().session() as db:
        found = db.get(StaffSession, sid)
        if found is None or found.ended_at is not None or found.locked:
            return
        account = db.get(StaffAccount, found.staff_id)
        if account is not None and account.active:
            g.staff = StaffMember.of(account)


def refusal(roles: tuple[Role, ...], what: str | None = None) -> tuple[str, int]:
    staff = current_staff()
    audit.record("refused", entity=request.endpoint, detail=f"needs {', '.join(r.value for r in roles)}",
                 outcome="failure")
    message = f"Only {roles_phrase(roles)} may {what or 'do this'}."
    template = "auth/_refused.html" if is_htmx() else "auth/refused.html"
    return render_template(template, message=message, staff=staff), 403


def roles_required(*roles: Role, what: str | None = None) -> Callable[[F], F]:
    """Allow the view only to these roles; anyone else gets a 403 page that says why.

    `what` completes the sentence "Only a provider may ..." (default "do this").
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_staff().role not in roles:
                return refusal(roles, what)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def has_role(*roles: Role) -> bool:
    """For templates: offer an action only to those who may do it (the server checks again)."""
    staff = current_staff_or_none()
    return staff is not None and staff.role in roles
