"""Carrying out a FHIR change from a screen, for every workflow: audit it, send it
(`kiosk.fhir.change.send`), and turn how it ended into what the person sees (a Notice), the audit
trail's words and the HTTP status, the same way for full pages and htmx fragments.

    reply = carry_out(change, seen=form.seen(), done="Bed 4W-401 is clean and available.",
                      patient=None, entity="Location/4W-401")
    html = render_template("beds/_panel.html", panel=..., notice=reply.notice,
                           chosen=form.chosen() if reply.keep_form else {})
    return reply.response(html, trigger="board-changed")

Outcome -> what the person sees:

| outcome     | notice                                   | status | form kept | redraw |
| ----------- | ---------------------------------------- | ------ | --------- | ------ |
| Done        | ok "Done" + the workflow's sentence      | 200    | no        | yes    |
| Conflict    | conflict "Changed at another station"    | 409    | if nothing was written | yes |
| NotAllowed  | error "Not possible on this FHIR server" | 409    | no        | no     |
| Unknown     | warning "This may have been saved", or ok "Saved" when the re-read found all of it | 200 | no | yes |
| Failed      | error "The FHIR server did not accept it" | 502   | if nothing was written | if something was |

Every sentence about what was or was not written comes from the re-read (`ServerState.sentence`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response, make_response

from kiosk import audit
from kiosk.extensions import gateway
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import (
    Change,
    Conflict,
    Done,
    Failed,
    NotAllowed,
    NotSeen,
    Outcome,
    ServerState,
    Unknown,
    named,
    send,
)

from .notices import Notice

#: The one sentence for a change whose versions the screen did not carry (a form from elsewhere, or
#: a panel drawn before the kiosk could read a version).
NOT_SEEN = ("The kiosk cannot tell which version of this record you were shown, so nothing was changed. "
            "Close the panel and open it again.")


@dataclass(frozen=True)
class Reply:
    """How a change ended, as the screen answers it."""

    outcome: Outcome | None
    notice: Notice
    status: int
    #: Show the form again with what the person chose (nothing of it reached the server).
    keep_form: bool
    #: The server may hold something new: redraw whatever shows it.
    changed: bool

    @property
    def done(self) -> bool:
        return isinstance(self.outcome, Done) or (
            isinstance(self.outcome, Unknown) and self.outcome.now.all_written)

    def response(self, html: str, trigger: str | None = None) -> Response:
        """The rendered answer with this reply's status, and `trigger` (an htmx event) when the
        server may hold something new."""
        response = make_response(html, self.status)
        if trigger and self.changed:
            response.headers["HX-Trigger"] = trigger
        return response


def _state(now: ServerState, change: Change) -> str:
    return now.sentence(change.name_of)


def reply_to(outcome: Outcome, change: Change, done: str) -> Reply:
    """The notice, status and form handling for an outcome (see the table above)."""
    if isinstance(outcome, Done):
        return Reply(outcome, Notice("ok", "Done", done), 200, keep_form=False, changed=True)
    if isinstance(outcome, Conflict):
        untouched = outcome.now.nothing_written
        text = "This was changed at another station since you opened it. " + _state(outcome.now, change)
        return Reply(outcome, Notice("conflict", "Changed at another station", text + " Here is the current state."),
                     409, keep_form=untouched, changed=True)
    if isinstance(outcome, NotAllowed):
        return Reply(outcome, Notice("error", "Not possible on this FHIR server", outcome.message), 409,
                     keep_form=False, changed=False)
    if isinstance(outcome, Unknown):
        if outcome.now.all_written:
            text = ("The FHIR server's answer was lost, so the kiosk read the records again: " + done +
                    " Here is the current state.")
            return Reply(outcome, Notice("ok", "Saved", text), 200, keep_form=False, changed=True)
        text = ("The FHIR server did not confirm this change, so it may or may not have been saved. " +
                _state(outcome.now, change) + " Here is the current state: check it before doing anything again.")
        return Reply(outcome, Notice("warning", "This may have been saved", text), 200, keep_form=False,
                     changed=True)
    if isinstance(outcome, Failed):
        untouched = outcome.now.nothing_written
        text = f"{outcome.message} {_state(outcome.now, change)}"
        return Reply(outcome, Notice("error", "The FHIR server did not accept it", text), 502,
                     keep_form=untouched, changed=not untouched)
    raise TypeError(f"not an outcome: {outcome!r}")


def audit_words(outcome: Outcome, change: Change) -> tuple[str, str]:
    """(audit outcome, detail) for an outcome: references and statuses only, never patient data."""
    name = change.name
    if isinstance(outcome, Done):
        keys = change.keys()
        written = [named(change.name_of(keys[i]) if i < len(keys) else "", ref)
                   for i, ref in enumerate(outcome.written)]
        return "success", f"{name}: wrote {', '.join(written)}"
    if isinstance(outcome, Conflict):
        return "failure", f"{name}: changed at another station (412), {outcome.now.audit_text(change.name_of)}"
    if isinstance(outcome, NotAllowed):
        return "failure", f"{name}: not allowed by the FHIR server, nothing sent"
    if isinstance(outcome, Unknown):
        now = outcome.now.audit_text(change.name_of)
        if outcome.now.all_written:
            return "success", f"{name}: no answer from the FHIR server; read again: {now}"
        return "unknown", f"{name}: no answer from the FHIR server: may have been saved ({now})"
    if isinstance(outcome, Failed):
        status = f" {outcome.status}" if outcome.status else ""
        return "failure", f"{name}: FHIR server error{status}: {outcome.now.audit_text(change.name_of)}"
    raise TypeError(f"not an outcome: {outcome!r}")


def carry_out(change: Change, *, seen: Mapping[str, str] | None, done: str, patient: str | None = None,
              entity: str | None = None, capabilities: Capabilities | None = None,
              entity_label: str | None = None) -> Reply:
    """Send a change built by a workflow, record it in the audit trail, and say how it ended.
    `done` is the sentence for a change that was saved ("Bed 4W-401 is clean and available.");
    `capabilities`: what the workflow checks against instead of the server's statement (see `send`).

    The audit trail gets the intent before anything is sent and the outcome after: a kiosk that dies in
    between leaves "outcome unknown" there, never nothing. The trail names the entity in words
    (`entity_label`, else the change's own words for it: 'hospital stay', a bed's name) and each record
    written by its words and reference; the patient by reference only."""
    if entity_label is None and entity and (entity in change.names or entity in change.updated()):
        entity_label = change.name_of(entity)
    intent_id = audit.intent("fhir-write", patient=patient, entity=entity, detail=change.name,
                             entity_label=entity_label)
    try:
        outcome = send(gateway(), change, seen, capabilities)
    except NotSeen:
        audit.outcome(intent_id, "failure", detail=f"{change.name}: versions shown not known, nothing sent")
        return Reply(None, Notice("error", "Not done", NOT_SEEN), 409, keep_form=False, changed=False)
    result, detail = audit_words(outcome, change)
    audit.outcome(intent_id, result, detail=detail)
    return reply_to(outcome, change, done)


def refused(name: str, *, patient: str | None = None, entity: str | None = None,
            why: str = "refused, nothing written", entity_label: str | None = None) -> None:
    """Audit an action the workflow refused before building a change (nothing was sent)."""
    audit.record("fhir-write", patient=patient, entity=entity, outcome="failure", detail=f"{name}: {why}",
                 entity_label=entity_label)
