"""Polled fragments: the parts of pages that htmx refreshes on a timer (the bed board, the home counts,
the print queue, a print job's status, the supply check and alert).

A view marks itself `@polled("the board")`. For such a view, an htmx request is a poll:

- it never counts as someone using the kiosk (kiosk.auth.session: polls do not hold the idle lock off);
- it may hold fewer of the process's FHIR slots than people's requests (kiosk.slots);
- whatever goes wrong while answering it, the answer is "not up to date": 503 with `HX-Reswap: none`
  (nothing on screen is replaced, the element keeps polling) and `X-Poll-Problem` saying why, which
  kiosk.js shows on the element until a poll succeeds again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, make_response, request

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM_HEADER = "X-Poll-Problem"


def polled(what: str, passes: tuple[int, ...] = (), stream: bool = False) -> Callable[[F], F]:
    """Mark a view as polled; `what` names what it refreshes ("the board") in the not-up-to-date text.
    `passes`: error statuses the poll answers as they are (a screen no longer set up gets its 404).
    `stream`: a screen's event stream (kiosk.push), opened by the browser's EventSource, which cannot say
    it is htmx: it is a poll all the same."""

    def mark(view: F) -> F:
        view.polled = what  # type: ignore[attr-defined]
        view.polled_passes = passes  # type: ignore[attr-defined]
        view.polled_stream = stream  # type: ignore[attr-defined]
        return view

    return mark


def polled_what(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "polled", None)


def is_poll() -> bool:
    """This request is a timer's refresh of a polled fragment, or a screen's event stream (not a page
    someone opened)."""
    from kiosk.extensions import htmx  # kiosk.extensions imports the FHIR slots, which import this module

    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "polled", None) is None:
        return False
    return bool(htmx) or bool(getattr(view, "polled_stream", False))


def not_up_to_date(problem: str) -> Response:
    """A poll that could not be answered: nothing is swapped, the page says it is not up to date."""
    response = make_response("", 503)
    response.headers["HX-Reswap"] = "none"
    response.headers[PROBLEM_HEADER] = problem.encode("ascii", "replace").decode("ascii")[:300]
    return response


def note_problem(message: str) -> None:
    """Called by the app's error handlers: if this is a poll, its not-up-to-date answer says `message`."""
    g.poll_problem = message


def register(app: Flask) -> None:
    @app.after_request
    def _keep_polled_fragments_on_screen(response: Response) -> Response:
        """An error answer to a poll (an error page from the app's handlers: the FHIR server, a database
        that is locked, a bug ...) would replace the fragment, and with it the element that polls.
        Answer "not up to date" instead; sign-in redirects (HX-Redirect, 200) are left alone."""
        if response.status_code < 400 or "HX-Reswap" in response.headers or not is_poll():
            return response
        view = current_app.view_functions.get(request.endpoint or "")
        if response.status_code in getattr(view, "polled_passes", ()):
            return response
        what = polled_what(request.endpoint)
        return not_up_to_date(g.get("poll_problem")
                              or f"The kiosk could not refresh {what} (error {response.status_code}).")
