"""The paging screens. Thin: parse, call the services, render.

- GET  /paging/                                       the pages screen (waiting pages first, then today's)
- GET  /paging/pages                                  its list, polled
- GET  /paging/new                                    compose a page
- GET  /paging/patients/<patient>/encounters/<enc>    compose a page about a patient (a bed panel's link)
- POST /paging/preview                                the message as the pager will show it (htmx)
- POST /paging/send                                   send it
- POST /paging/pages/<id>/called-back | cancel        the secretary's answers
- GET  /paging/a/<token>, POST the same               the acknowledgement link in a message (no sign-in)
- POST /paging/platform/ack                           a signed acknowledgement from the messaging platform
- GET  /paging/home                                   the home screen's panel
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request

from kiosk import audit
from kiosk.auth import Role, current_staff, public, roles_required
from kiosk.extensions import csrf, database, gateway, settings
from kiosk.fhir.change import Change, Outcome, Seen
from kiosk.fhir.errors import FhirNotAllowed, FhirNotFound
from kiosk.settings_files import settings_of
from kiosk.web import Notice, page_or_fragment
from kiosk.web.changes import Reply, carry_out
from kiosk.web.signed import BadSignature, verify

from .compose import TEMPLATES, URGENCY_WORDS, About, Composed
from .fhir import PatientForPage, patient_for_page, recipient_by_ref
from .forms import ComposeForm, PageActionForm, text_hash
from .links import MESSAGE_KEY, key_of, new_public_id
from .models import MessageStatus, Page, utcnow
from .oncall import ON_CALL_FILE, OnCall
from .outbox import SendOutcome
from .recipients import SYSTEM_WORDS, best_route, unreachable_reason
from .recording import entity_of, record_page
from .screen import pages_screen, waiting_pages
from .services import DuplicatePage, MessageTooLong, PageRequest, Paging, recipient_list
from .settings import PAGING_FILE, URGENCIES, PagingConfig

bp = Blueprint("paging", __name__, url_prefix="/paging")

#: Who may page; everyone signed in may look at the pages screen.
PAGERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.PROVIDER)


def config() -> PagingConfig:
    return settings_of(PAGING_FILE)


def on_call() -> OnCall:
    return settings_of(ON_CALL_FILE)


def paging() -> Paging:
    return Paging(database(), config(), current_app.config["SECRET_KEY"])


# ---------------------------------------------------------------- the pages screen


def _screen(notices: list[Notice] | None = None, highlight: int | None = None, status: int = 200) -> Response:
    screen = pages_screen(database(), gateway(), config().settings)
    html = page_or_fragment("paging/page.html", "paging/_pages.html", screen=screen, notices=notices or [],
                            highlight=highlight, settings=config().settings)
    return make_response(html, status)


@bp.get("/")
def index() -> Response:
    return _screen(highlight=request.args.get("page", type=int))


@bp.get("/pages")
def pages_fragment() -> str:
    screen = pages_screen(database(), gateway(), config().settings)
    return render_template("paging/_pages.html", screen=screen, notices=[], highlight=None,
                           settings=config().settings)


@bp.get("/home")
def home_panel() -> str:
    return render_template("paging/_home_panel.html", waiting=waiting_pages(database(), config().settings))


# ---------------------------------------------------------------- compose


def _patient(patient_id: str | None, encounter_id: str | None) -> PatientForPage | None:
    if not encounter_id:
        return None
    found = patient_for_page(gateway(), encounter_id, patient_id)
    audit.record("view-patient", patient=found.patient.reference, entity=found.encounter.reference,
                 detail="paging: compose a page about the patient")
    return found


def _about(found: PatientForPage | None) -> About | None:
    return About(found.bed_name, found.patient.name.initials) if found else None


def _compose(form: ComposeForm, found: PatientForPage | None, problem: Notice | None = None,
             status: int = 200) -> Response:
    cfg = config()
    unit_ref = f"Location/{gateway().unit_location_id()}"
    recipients = recipient_list(gateway(), cfg, on_call(), unit_ref, cfg.settings.unit_name, found, utcnow())
    composed = paging().preview(form.public_id.data, form.draft())
    html = render_template("paging/compose.html", form=form, recipients=recipients, found=found, problem=problem,
                           composed=composed, preview_hash=text_hash(composed.text), templates=TEMPLATES,
                           urgencies=URGENCIES, urgency_words=URGENCY_WORDS, system_words=SYSTEM_WORDS,
                           errors=form.field_errors() if form.errors else {})
    return make_response(html, status)


def _new_form(found: PatientForPage | None) -> ComposeForm:
    about = _about(found)
    form = ComposeForm(formdata=None, public_id=new_public_id(), callback=config().settings.callback_number,
                       urgency="routine", patient_id=found.patient.id if found else "",
                       encounter_id=found.encounter.id if found else "",
                       about_room=about.room if about else "", about_initials=about.initials if about else "")
    return form


def _compose_page(patient_id: str | None, encounter_id: str | None) -> Response:
    try:
        found = _patient(patient_id, encounter_id)
    except FhirNotFound as e:
        abort(404, description=e.message)
    except FhirNotAllowed as e:
        return make_response(render_template("paging/compose.html", form=None, refused=e.message), 409)
    return _compose(_new_form(found), found)


@bp.get("/new")
@roles_required(*PAGERS, what="page someone")
def compose_new() -> Response:
    return _compose_page(None, None)


@bp.get("/patients/<patient_id>/encounters/<encounter_id>")
@roles_required(*PAGERS, what="page someone")
def compose_for_patient(patient_id: str, encounter_id: str) -> Response:
    return _compose_page(patient_id, encounter_id)


@bp.post("/preview")
@roles_required(*PAGERS, what="page someone")
def preview() -> str:
    form = ComposeForm()
    form.validate()
    composed = paging().preview(form.public_id.data or "000000000000", form.draft())
    return render_template("paging/_preview.html", composed=composed, preview_hash=text_hash(composed.text),
                           preview_errors={k: v for k, v in form.field_errors().items() if k == "callback"})


# ---------------------------------------------------------------- send


def _refuse(form: ComposeForm, found: PatientForPage | None, field: str | None, text: str,
            title: str = "Not sent", status: int = 422) -> Response:
    if field:
        form.refuse(field, text)
    return _compose(form, found, Notice("error", title, text), status)


def _delivery_notice(outcome: SendOutcome, name: str, words: str) -> Notice:
    if outcome.status is MessageStatus.SENT:
        return Notice("ok", "Page sent", f"Sent to {name} ({words}). It waits for an acknowledgement.")
    if outcome.status is MessageStatus.SENDING and not outcome.claimed:
        # Another sender (the scheduler, another instance) took the message first and is sending it now.
        return Notice("ok", "Page being sent", f"On its way to {name} ({words}): the kiosk is sending it now. "
                      "Its state shows on the pages list.")
    if outcome.status is MessageStatus.QUEUED:
        return Notice("warning", "Not sent yet", f"{outcome.message} Call {name} if it is urgent.")
    if outcome.status is MessageStatus.UNKNOWN:
        return Notice("warning", "Check delivery", outcome.message)
    return Notice("error", "The page was not sent", f"{outcome.message} Call {name} another way.")


def record_in_request(page_id: int, shown: Seen | None = None) -> list[Notice]:
    """Record the page on the FHIR server now (the scheduler finishes what cannot be done now); the
    notices say how that went when it did not simply work."""
    replies: list[Reply] = []

    def send(change: Change, seen: Seen, page: Page) -> Outcome | None:
        reply = carry_out(change, seen=seen, done="Recorded on the FHIR server.", patient=page.patient_ref,
                          entity=entity_of(page))
        replies.append(reply)
        return reply.outcome

    recorded = record_page(gateway(), database(), page_id, config().settings, send, shown)
    failed = [r for r in replies if not r.done]
    if not failed:
        return []
    reply = failed[-1]
    more = "" if recorded.complete else " The page itself is not affected; the kiosk keeps its own record."
    return [Notice(reply.notice.kind, f"FHIR record: {reply.notice.title.lower()}", reply.notice.text + more)]


@bp.post("/send")
@roles_required(*PAGERS, what="page someone")
def send() -> Response:
    form = ComposeForm()
    found: PatientForPage | None = None
    if form.encounter_id.data and form.encounter_id.validate(form):
        try:
            found = _patient(form.patient_id.data or None, form.encounter_id.data)
        except FhirNotFound as e:
            abort(404, description=e.message)
        about = _about(found)
        form.about_room.data, form.about_initials.data = (about.room, about.initials) if about else ("", "")
    if not form.validate():
        return _refuse(form, found, None, form.first_error() or "Something in the form is not right.",
                       "Check the page")
    ref, role_key = form.chosen()
    if not ref:
        return _refuse(form, found, "recipient", "Choose whom to page.", "Check the page")
    cfg, roles = config(), on_call()
    recipient = recipient_by_ref(gateway(), ref, roles.role_system)
    if recipient is None:
        return _refuse(form, found, "recipient", "That person is no longer on the FHIR server with an active role; "
                                                 "choose again.")
    route = best_route(recipient, cfg.settings)
    if route is None:
        return _refuse(form, found, "recipient", f"{recipient.name} cannot be paged from here. "
                                                 f"{unreachable_reason(recipient)}")
    if role_key:
        role = roles.role(role_key)
        if role is None or recipient.identifier not in role.people_at(utcnow()):
            return _refuse(form, found, "recipient", f"{recipient.name} is no longer on call as "
                                                     f"{role.name if role else role_key}; choose again.")
    draft = form.draft()
    service = paging()
    composed: Composed = service.preview(form.public_id.data, draft)
    if composed.too_long:
        return _refuse(form, found, "free_text", f"The message is {composed.length} characters; the pager shows "
                                                 f"{composed.limit}. Shorten it by {composed.length - composed.limit}.")
    if form.preview_hash.data != text_hash(composed.text):
        return _refuse(form, found, None, "The message changed since it was shown (the patient's bed or the "
                                          "settings changed). Here it is as it will be sent: check it and send again.",
                       "Check the message", 409)
    staff = current_staff()
    page_request = PageRequest(public_id=form.public_id.data, draft=draft, recipient=recipient, route=route,
                               station_id=settings().station.id, on_call_role=role_key,
                               patient_ref=found.patient.reference if found else None,
                               encounter_ref=found.encounter.reference if found else None,
                               requested_by=staff.badge, requested_by_name=staff.display_name)
    try:
        page_id, message_id = service.create(page_request)
    except DuplicatePage as e:
        return _screen([Notice("info", "Sent already", "This page was sent from this form before; here it is.")],
                       highlight=e.page_id)
    except MessageTooLong as e:
        return _refuse(form, found, "free_text", str(e))
    outcome = service.send(message_id)
    audit.record("page-sent", patient=page_request.patient_ref, entity=f"Page/{page_id}",
                 outcome="success" if outcome.status is not MessageStatus.FAILED else "failure",
                 detail=f"page {page_id} ({draft.urgency}) to {recipient.ref} by {route.channel}: {outcome.status}")
    notices = [_delivery_notice(outcome, recipient.name, route.words)]
    notices += record_in_request(page_id)
    return _screen(notices, highlight=page_id)


# ---------------------------------------------------------------- the secretary's answers


def _answer(page_id: int, action: str) -> Response:
    form = PageActionForm()
    if not form.validate():
        return _screen([Notice("error", "Not done", "The form is not from this screen.")], status=422)
    staff = current_staff()
    service = paging()
    done = service.called_back(page_id, staff.display_name) if action == "called-back" else \
        service.cancel(page_id, staff.display_name)
    if not done:
        return _screen([Notice("conflict", "Not done", "This page was answered, cancelled or called back already; "
                                                       "here is how it stands.")], highlight=page_id, status=409)
    audit.record(f"page-{action}", entity=f"Page/{page_id}", detail=f"page {page_id}: {action}")
    words = "Recorded: called back." if action == "called-back" else "Cancelled: nothing more is sent for it."
    return _screen([Notice("ok", "Done", words), *record_in_request(page_id, form.shown())], highlight=page_id)


@bp.post("/pages/<int:page_id>/called-back")
@roles_required(*PAGERS, what="record a call back")
def called_back(page_id: int) -> Response:
    return _answer(page_id, "called-back")


@bp.post("/pages/<int:page_id>/cancel")
@roles_required(*PAGERS, what="cancel a page")
def cancel(page_id: int) -> Response:
    return _answer(page_id, "cancelled")


# ---------------------------------------------------------------- acknowledgements (no sign-in)


def _ack_key(token: str) -> str | None:
    return key_of(current_app.config["SECRET_KEY"], token)


@bp.get("/a/<token>")
@public
def ack_page(token: str) -> Response:
    """The link in a message: one tap acknowledges (a GET changes nothing: link previews fetch it)."""
    key = _ack_key(token)
    if key is None:
        return make_response(render_template("paging/ack.html", result="invalid", token=None), 404)
    return make_response(render_template("paging/ack.html", result="ask", token=token,
                                         unit_name=config().settings.unit_name))


@bp.post("/a/<token>")
@public
@csrf.exempt
def acknowledge(token: str) -> Response:
    key = _ack_key(token)
    if key is None:
        audit.record("page-acknowledged", outcome="failure", detail="acknowledgement link refused: not signed by "
                                                                    "this kiosk")
        return make_response(render_template("paging/ack.html", result="invalid", token=None), 404)
    result = paging().acknowledge(key, "link")
    status = {"acknowledged": 200, "used": 409, "expired": 410}.get(result.kind, 404)
    audit.record("page-acknowledged", entity=f"Page/{result.page_id}" if result.page_id else None,
                 outcome="success" if result.kind == "acknowledged" else "failure",
                 detail=f"acknowledgement link of message {key}: {result.kind}")
    if result.kind == "acknowledged" and result.page_id is not None:
        record_in_request(result.page_id)
    return make_response(render_template("paging/ack.html", result=result.kind, ack=result, token=None), status)


@bp.post("/platform/ack")
@public
@csrf.exempt
def platform_ack() -> Response:
    """{"id": "<message id>", "by": "<who, optional>"}, signed like the pages the kiosk posts."""
    body = request.get_data(cache=True)
    cfg = config()
    try:
        verify(cfg.secrets.webhook_secret, request.headers, body,
               max_skew_seconds=cfg.settings.webhook.max_skew_seconds)
    except BadSignature as e:
        audit.record("page-acknowledged", outcome="failure", detail=f"platform acknowledgement refused: {e.message}")
        return _json({"result": "refused", "reason": e.message}, 401)
    try:
        data = json.loads(body)
        key = str(data["id"])
        by = data.get("by")
    except (ValueError, KeyError, TypeError):
        return _json({"result": "refused", "reason": "The body must be JSON with the message's id."}, 400)
    if not isinstance(by, str | None):
        by = None
    if not MESSAGE_KEY.match(key):
        return _json({"result": "unknown", "reason": "That is not a message id of this kiosk."}, 404)
    result = paging().acknowledge(key, "platform", by=(by or None) and by[:120])
    audit.record("page-acknowledged", entity=f"Page/{result.page_id}" if result.page_id else None,
                 outcome="success" if result.kind == "acknowledged" else "failure",
                 detail=f"platform acknowledgement of message {key[:40]}: {result.kind}")
    if result.kind == "acknowledged" and result.page_id is not None:
        record_in_request(result.page_id)
    status = {"acknowledged": 200, "used": 409, "expired": 410}.get(result.kind, 404)
    return _json({"result": result.kind, "late": result.late}, status)


def _json(data: dict[str, object], status: int) -> Response:
    response = make_response(json.dumps(data), status)
    response.headers["Content-Type"] = "application/json"
    return response
