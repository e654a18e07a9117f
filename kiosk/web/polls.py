"""Fragments a screen polls (the bed board, the whiteboard): a poll that cannot be answered leaves the
screen as it is and says why, instead of replacing it (and the element that polls) with an error page."""

from __future__ import annotations

from collections.abc import Collection

from flask import make_response, request
from werkzeug.wrappers import Response


def not_refreshed(problem: str) -> Response:
    """503 without a swap (htmx keeps what is shown); the page's script shows `problem` (ASCII, short)."""
    response = make_response("", 503)
    response.headers["HX-Reswap"] = "none"
    response.headers["X-Board-Problem"] = problem.encode("ascii", "replace").decode("ascii")[:300]
    return response


def keep_screen_on_failed_poll(response: Response, endpoints: Collection[str], what: str,
                               passed: Collection[int] = ()) -> Response:
    """For an `after_request`: any error answer to one of the polled `endpoints` (an error page from the
    app's handlers: a database that is locked, a bug ...) becomes `not_refreshed`; answers with a status
    in `passed` and sign-in redirects (HX-Redirect) are left alone."""
    if request.endpoint not in endpoints or response.status_code < 400 or response.status_code in passed \
            or "HX-Reswap" in response.headers:
        return response
    return not_refreshed(f"The kiosk could not refresh {what} (error {response.status_code}).")
