"""Orders' pages. Thin: parse, call the services, render.

- GET  /orders/patients/<patient>/encounters/<encounter>          the patient's orders
- GET  /orders/patients/<patient>/encounters/<encounter>/new      the order form
- POST /orders/patients/<patient>/encounters/<encounter>/new      read back (step=review), send (step=send)
- POST /orders/catalog                                            catalog search results (htmx fragment)
- POST /orders/patients/<p>/encounters/<e>/orders/<id>/discontinue  discontinue, from the version on screen
- POST /orders/patients/<p>/encounters/<e>/orders/<id>/labels     the specimen label of a lab order
- GET  /orders/cosign                                             the unit's orders awaiting co-signature (a
                                                                  provider's from every unit), and the orders
                                                                  providers disagreed with
- POST /orders/cosign                                             a provider signs the orders they selected
- POST /orders/cosign/<task>/disagree                             a provider disagrees: the order is revoked
- POST /orders/disagreements/<task>/seen                          someone on the unit saw a disagreement
- GET  /orders/scan, POST /orders/scan                            an armband scan opens the patient's orders
- GET  /orders/home                                               the home screen's panel (no FHIR request)
"""

from __future__ import annotations

import re
import uuid
from contextlib import ExitStack
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import audit
from kiosk.armband import parse_scan
from kiosk.auth import Role, current_staff, current_staff_or_none, roles_required
from kiosk.census import census_store
from kiosk.extensions import database, gateway, settings
from kiosk.fhir.change import Seen
from kiosk.fhir.encounters import find_open_encounters
from kiosk.fhir.errors import FhirError, FhirNotFound
from kiosk.fhir.orders import (
    OrderRecord,
    cosign_change,
    disagree_change,
    discontinue_change,
    finds_disagreements_by_patient,
    practitioner_of,
)
from kiosk.fhir.records import FHIR_ID
from kiosk.settings_files import settings_of
from kiosk.web import Notice
from kiosk.web.changes import carry_out, refused

from .counts import latest_count
from .disagreements import keep_if_ours, mark_seen, unit_disagreements, unseen_count, who_is_told
from .forms import CosignForm, OrderForm, ReasonForm, ScanForm
from .models import LabelPrint
from .sending import STILL_SENDING, StillSending, one_send
from .services import (
    DETAILS,
    STATUS_GROUPS,
    OrderContext,
    OrderRow,
    Refused,
    already_sent,
    check,
    confirmation_words,
    entry_mode,
    find_duplicate,
    load_for_signing,
    load_patient,
    may_enter,
    new_order_number,
    order_context,
    orders_systems,
    patient_rows,
    plan_order,
    unit_group,
    unit_rows,
    utc_now,
)
from .settings import CATEGORIES, MODES, ORDERS_FILE, PRIORITIES, READ_BACK_MODES, OrdersSettings

bp = Blueprint("orders", __name__, url_prefix="/orders")

#: The label print form's one-time token (kiosk.labels): 32 hex digits.
PRINT_TOKEN = re.compile(r"^[0-9a-f]{32}$")

#: Who may discontinue an order from the patient's list.
DISCONTINUERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.PROVIDER)
#: Who may mark seen that a provider disagreed with an order (and tell the nurse).
SEEN_BY = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.NURSE, Role.PROVIDER)


def _settings() -> OrdersSettings:
    return settings_of(ORDERS_FILE)


def _unit_key() -> str:
    """The unit as the settings name it (unit.location): the key of the kiosk's own rows about it."""
    return settings().unit.location


def _check_ids(*ids: str) -> None:
    if not all(FHIR_ID.match(i) for i in ids):
        abort(404)


def _unit_code() -> str | None:
    unit = gateway().unit
    return unit.value or unit.location_id


def _self_practitioner() -> str | None:
    staff = current_staff_or_none()
    if staff is None or staff.role is not Role.PROVIDER:
        return None
    return practitioner_of(gateway(), staff.practitioner_ref)


# ---------------------------------------------------------------- the patient's orders


def _patient_page(patient_id: str, encounter_id: str, notice: Notice | None = None, status: int = 200,
                  errors: dict[str, str] | None = None) -> Response:
    gw, settings = gateway(), _settings()
    try:
        ctx = order_context(gw, patient_id, encounter_id, with_providers=False)
    except FhirNotFound:
        abort(404)
    problem = None
    groups: dict[str, list[OrderRow]] = {}
    try:
        found = load_patient(gw, settings, encounter_id, patient_id)
        groups = patient_rows(found, settings, utc_now())
        printed = _printed(found.orders)
    except FhirError as e:
        problem, printed = e.message, {}
    staff = current_staff_or_none()
    mode = entry_mode(gw.capabilities, own=staff is not None and staff.role is Role.PROVIDER)
    audit.record("view-patient", patient=ctx.patient.reference, entity=f"Encounter/{encounter_id}",
                 detail="orders")
    html = render_template("orders/patient.html", ctx=ctx, groups=groups, titles=dict(STATUS_GROUPS),
                           problem=problem, notice=notice, entry=mode, errors=errors or {},
                           may_enter=may_enter(staff.role if staff else None, settings), printed=printed,
                           may_discontinue=staff is not None and staff.role in DISCONTINUERS
                           and gw.capabilities.reason("ServiceRequest", "update") is None,
                           categories=CATEGORIES, labels_offered="labels.specimen" in current_app.view_functions,
                           new_token=lambda: uuid.uuid4().hex, catalog=settings.catalog,
                           transport_offered="transport.request_form" in current_app.view_functions)
    return make_response(html, status)


def _printed(orders: list[OrderRecord]) -> dict[str, tuple[str, datetime]]:
    """Order id -> (status in words, time) of the latest specimen-label job its print form made."""
    ids = [o.id for o in orders if o.accession]
    if not ids or "labels.patient" not in current_app.view_functions:
        return {}
    from kiosk.labels import printed_at

    with database().session() as session:
        tokens = {r.print_token: r.order_id for r in session.query(LabelPrint).filter(LabelPrint.order_id.in_(ids))}
    out: dict[str, tuple[str, datetime]] = {}
    for token, (words, when) in printed_at(list(tokens)).items():
        order_id = tokens[token]
        if order_id not in out or when > out[order_id][1]:
            out[order_id] = (words, when)
    return out


@bp.get("/patients/<patient_id>/encounters/<encounter_id>")
def patient(patient_id: str, encounter_id: str) -> Response:
    _check_ids(patient_id, encounter_id)
    return _patient_page(patient_id, encounter_id)


# ---------------------------------------------------------------- the order form and its read-back


def _form_page(ctx: OrderContext, form: OrderForm, *, chosen: dict[str, object] | None = None,
               notice: Notice | None = None, errors: dict[str, str] | None = None, status: int = 200,
               number: str | None = None) -> Response:
    settings = _settings()
    staff = current_staff()
    own = staff.role is Role.PROVIDER
    chosen = chosen if chosen is not None else {"mode": "EL" if own else "", "when": "now",
                                                "provider": ctx.providers[0].ref if ctx.providers else ""}
    item = settings.catalog.item(str(chosen.get("item") or ""))
    if item is not None and not chosen.get("priority"):
        chosen["priority"] = item.priority
    html = render_template("orders/new.html", ctx=ctx, chosen=chosen, notice=notice, errors=errors or {},
                           number=number or form.number.data or new_order_number(), item=item,
                           favourites=settings.catalog.favourites_of(_unit_code()), catalog=settings.catalog,
                           modes={m: MODES[m] for m in settings.modes_of(staff.role.value)}, priorities=PRIORITIES,
                           details=DETAILS, entry=entry_mode(gateway().capabilities, own), categories=CATEGORIES)
    return make_response(html, status)


def _context(patient_id: str, encounter_id: str) -> OrderContext:
    try:
        return order_context(gateway(), patient_id, encounter_id)
    except FhirNotFound:
        abort(404)


@bp.get("/patients/<patient_id>/encounters/<encounter_id>/new")
def new(patient_id: str, encounter_id: str) -> Response:
    _check_ids(patient_id, encounter_id)
    staff = current_staff()
    if not may_enter(staff.role, _settings()):
        abort(403)
    ctx = _context(patient_id, encounter_id)
    audit.record("view-patient", patient=ctx.patient.reference, entity=f"Encounter/{encounter_id}",
                 detail="order form")
    chosen = None
    wanted = request.args.get("item", "")
    if wanted and _settings().catalog.item(wanted) is not None:
        chosen = {"item": wanted, "mode": "EL" if staff.role is Role.PROVIDER else "", "when": "now",
                  "provider": ctx.providers[0].ref if ctx.providers else ""}
    return _form_page(ctx, OrderForm(formdata=None), chosen=chosen)


@bp.post("/catalog")
def catalog_search() -> str:
    """Catalog items matching what was typed (3 letters), or the one line about medication orders. A POST:
    what is typed never lands in a URL or an access log (someone may type a name)."""
    typed = request.form.get("q", "")[:60]
    catalog = _settings().catalog
    return render_template("orders/_results.html", typed=typed, results=catalog.search(typed),
                           medication=catalog.is_medication(typed), chosen=request.form.get("item", ""),
                           categories=CATEGORIES)


def _review_page(ctx: OrderContext, form: OrderForm, sentence: str, provider_name: str, duplicate: object | None,
                 *, notice: Notice | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    choices = form.choices()
    html = render_template("orders/review.html", ctx=ctx, form=form, chosen=form.chosen(), sentence=sentence,
                           needs_read_back=choices.mode in READ_BACK_MODES,
                           confirmation=f"Read back to and confirmed by {provider_name}", duplicate=duplicate,
                           notice=notice, errors=errors or {}, detail_codes=[f"d_{c}" for f in DETAILS.values()
                                                                             for c, _, _ in f])
    return make_response(html, status)


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/new")
def send(patient_id: str, encounter_id: str) -> Response:
    _check_ids(patient_id, encounter_id)
    staff = current_staff()
    settings = _settings()
    if not may_enter(staff.role, settings):
        refused("order-entry", patient=f"Patient/{patient_id}", why=f"not allowed for a {staff.role.label}")
        abort(403)
    form = OrderForm()
    ctx = _context(patient_id, encounter_id)
    if not form.validate():
        name, message = form.first_error() or ("", "Something in the form is not right.")
        return _form_page(ctx, form, chosen=form.chosen(), notice=Notice("error", "Check the form", message),
                          errors={name: message}, status=422)
    choices = form.choices()
    if form.step.data == "edit":
        return _form_page(ctx, form, chosen=form.chosen())
    now = utc_now()
    self_ref = _self_practitioner()
    try:
        item, provider, _details, _occ, sentence = check(settings, ctx, choices, staff, self_ref, now)
    except Refused as e:
        errors = {e.field: e.message} if e.field else {}
        return _form_page(ctx, form, chosen=form.chosen(), errors=errors, status=422,
                          notice=Notice("error", "Check the order" if e.field else "Not sent", e.message))
    with ExitStack() as sending:
        if form.step.data == "send":
            # The two requests of a double tap: the second waits for the first, then finds its order.
            try:
                sending.enter_context(one_send(database(), choices.number, utc_now))
            except StillSending:
                return _form_page(ctx, form, chosen=form.chosen(), status=409,
                                  notice=Notice("error", "Still being sent", STILL_SENDING))
            if already_sent(gateway(), settings, choices.number):
                again = Notice("ok", "Already sent", "This order was sent before: nothing new was created.")
                return _done_page(ctx, sentence, again, entry_mode(gateway().capabilities).full)
        try:
            duplicate = find_duplicate(gateway(), settings, ctx, item, now)
        except FhirError as e:
            return _form_page(ctx, form, chosen=form.chosen(), status=502,
                              notice=Notice("error", "The kiosk could not check for the same order", e.message))
        if form.step.data != "send":
            return _review_page(ctx, form, sentence, provider.name, duplicate)
        errors: dict[str, str] = {}
        if choices.mode in READ_BACK_MODES and not choices.read_back:
            errors["read_back"] = f"Read the order back to {provider.name} and tick “{confirmation_words(provider)}”."
        if duplicate is not None and not choices.duplicate_reason:
            errors["duplicate_reason"] = "The same order is active: give the reason to order it anyway, or go back."
        if errors:
            return _review_page(ctx, form, sentence, provider.name, duplicate, errors=errors, status=422,
                                notice=Notice("error", "Not sent yet", next(iter(errors.values()))))
        try:
            plan = plan_order(gateway(), settings, ctx, choices, staff, self_ref, now)
        except Refused as e:
            refused("order-entry", patient=ctx.patient.reference, entity=f"Encounter/{encounter_id}")
            return _form_page(ctx, form, chosen=form.chosen(), status=409,
                              notice=Notice("error", "Not sent", e.message))
        if choices.mode in READ_BACK_MODES:
            audit.record("order-read-back", patient=plan.patient, entity=plan.encounter,
                         detail=f"order {plan.number} ({MODES[choices.mode]}): read back to and confirmed by "
                                f"{plan.provider.ref}")
        if duplicate is not None:
            audit.record("order-duplicate", patient=plan.patient, entity=plan.encounter,
                         detail=f"order {plan.number} entered although {duplicate.order.reference} is active")
        if not plan.full:
            audit.record("order-entry", patient=plan.patient, entity=plan.encounter,
                         detail=f"order {plan.number}: mode {plan.mode}, entered by badge {staff.badge}, author "
                                f"{plan.provider.ref}; co-signature in the EHR")
        reply = carry_out(plan.change, seen=Seen(), done=plan.message, patient=plan.patient, entity=plan.encounter)
        if not reply.done:
            if reply.keep_form:
                return _review_page(ctx, form, sentence, provider.name, duplicate, notice=reply.notice,
                                    status=reply.status)
            return _done_page(ctx, plan.sentence, reply.notice, plan.full, status=reply.status)
        notice = reply.notice
        results = getattr(reply.outcome, "results", ())
        if results and not any(getattr(r, "created", True) for r in results):
            notice = Notice("ok", "Already sent",
                            f"This order was sent before: {plan.message} Nothing new was created.")
        return _done_page(ctx, plan.sentence, notice, plan.full)


def _done_page(ctx: OrderContext, sentence: str, notice: Notice, full: bool, status: int = 200) -> Response:
    html = render_template("orders/done.html", ctx=ctx, sentence=sentence, notice=notice, full=full)
    return make_response(html, status)


# ---------------------------------------------------------------- discontinue


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/orders/<order_id>/discontinue")
@roles_required(*DISCONTINUERS, what="discontinue an order")
def discontinue(patient_id: str, encounter_id: str, order_id: str) -> Response:
    _check_ids(patient_id, encounter_id, order_id)
    form = ReasonForm()
    reason = (form.reason.data or "").strip()
    ref = f"ServiceRequest/{order_id}"
    if not form.validate() or not reason:
        message = form.reason.errors[0] if form.reason.errors else "Give the reason to discontinue the order."
        return _patient_page(patient_id, encounter_id, Notice("error", "Not discontinued", message), 422,
                             errors={order_id: message})
    found = load_patient(gateway(), _settings(), encounter_id, patient_id)
    order = found.order(ref)
    if order is None or order.patient != f"Patient/{patient_id}":
        abort(404)
    cosign = found.cosign_of(ref)
    task_ref = cosign.reference if cosign is not None and cosign.status == "requested" else None
    seen = Seen.parse(form.seen.data)
    change = discontinue_change(found.raw, ref, task_ref, reason, utc_now())
    reply = carry_out(change, seen=seen, done=f"{order.text} is discontinued.", patient=f"Patient/{patient_id}",
                      entity=ref)
    return _patient_page(patient_id, encounter_id, reply.notice, reply.status)


# ---------------------------------------------------------------- specimen labels


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/orders/<order_id>/labels")
def labels(patient_id: str, encounter_id: str, order_id: str) -> WerkzeugResponse:
    """One tap from a lab order to its specimen label: the print form's one-time token is kept with the
    order, and the same POST (accession number, test, container and token in the body, never in a URL)
    goes on to the label print, filled in (307 keeps the method and the body)."""
    _check_ids(patient_id, encounter_id, order_id)
    if "labels.specimen" not in current_app.view_functions:
        abort(404)
    found = load_patient(gateway(), _settings(), encounter_id, patient_id)
    order = found.order(f"ServiceRequest/{order_id}")
    token = request.form.get("print_token", "")
    if order is None or not order.accession or order.patient != f"Patient/{patient_id}" or \
            request.form.get("accession") != order.accession or not PRINT_TOKEN.match(token):
        abort(404)
    with database().session() as session:
        if session.query(LabelPrint).filter_by(print_token=token).first() is None:
            session.add(LabelPrint(order_id=order_id, print_token=token, asked_at=utc_now()))
    return redirect(url_for("labels.specimen", patient_id=patient_id, encounter_id=encounter_id), code=307)


# ---------------------------------------------------------------- co-signature


def _cosign_page(notice: Notice | None = None, status: int = 200) -> Response:
    """The unit's co-signatures (and a provider's own from other units), and above them the orders providers
    disagreed with lately."""
    settings = _settings()
    self_ref = _self_practitioner()
    problem = elsewhere_problem = None
    rows: list[OrderRow] = []
    try:
        signing = load_for_signing(gateway(), settings, self_ref)
        rows = unit_rows(signing.found, settings, utc_now(), unit=unit_group(gateway(), settings))
        elsewhere_problem = signing.elsewhere_problem
    except FhirError as e:
        problem = e.message
    told = unit_disagreements(gateway(), database(), settings, _unit_key(), utc_now(),
                              patients_here=lambda: census_store().patients(gateway()))
    staff = current_staff_or_none()
    html = render_template("orders/cosign.html", rows=rows, problem=problem, notice=notice, self_ref=self_ref,
                           is_provider=staff is not None and staff.role is Role.PROVIDER, settings=settings,
                           told=told, may_mark_seen=staff is not None and staff.role in SEEN_BY,
                           elsewhere_problem=elsewhere_problem)
    return make_response(html, status)


@bp.get("/cosign")
def cosign_list() -> Response:
    return _cosign_page()


@bp.post("/cosign")
@roles_required(Role.PROVIDER, what="co-sign orders")
def cosign() -> Response:
    form = CosignForm()
    tasks = [t for t in dict.fromkeys(form.tasks.data or []) if FHIR_ID.match(t)]
    if not form.validate() or not tasks:
        return _cosign_page(Notice("error", "Nothing signed", "Select the orders to sign."), 422)
    self_ref = _self_practitioner()
    if self_ref is None:
        return _cosign_page(Notice("error", "Nothing signed", "Your account is linked to no Practitioner on the FHIR "
                                                              "server."), 409)
    found = load_for_signing(gateway(), _settings(), self_ref).found
    refs = [f"Task/{t}" for t in tasks]
    records = {c.reference: c for c in found.cosigns}
    missing = [r for r in refs if r not in records]
    others = [r for r in refs if r in records and records[r].owner != self_ref]
    if others:
        refused("order-cosign", entity=",".join(others), why="another provider's order: refused, nothing written")
        return _cosign_page(Notice("error", "Not signed", "You can only co-sign orders given in your name. Nothing "
                                                          "was signed."), 403)
    if missing:
        return _cosign_page(Notice("conflict", "Changed at another station", "One of these orders was signed, "
                                   "cancelled or changed since you opened the list. Nothing was signed: here is the "
                                   "current list."), 409)
    staff = current_staff()
    change = cosign_change(found.raw, refs, self_ref, staff.display_name, utc_now())
    count = len(refs)
    reply = carry_out(change, seen=Seen.parse(form.seen.data), done=f"{count} order{'s' if count != 1 else ''} "
                                                                    "co-signed.", entity=",".join(refs))
    return _cosign_page(reply.notice, reply.status)


@bp.post("/cosign/<task_id>/disagree")
@roles_required(Role.PROVIDER, what="disagree with an order")
def disagree(task_id: str) -> Response:
    _check_ids(task_id)
    form = ReasonForm()
    reason = (form.reason.data or "").strip()
    if not form.validate() or not reason:
        return _cosign_page(Notice("error", "Not done", "Give the reason you disagree: the order's unit is told."),
                            422)
    self_ref = _self_practitioner()
    ref = f"Task/{task_id}"
    settings = _settings()
    found = load_for_signing(gateway(), settings, self_ref).found
    record = next((c for c in found.cosigns if c.reference == ref), None)
    if record is None:
        return _cosign_page(Notice("conflict", "Changed at another station", "This order no longer waits for your "
                                                                             "co-signature."), 409)
    if record.owner != self_ref:
        refused("order-disagree", entity=ref, why="another provider's order: refused, nothing written")
        return _cosign_page(Notice("error", "Not done", "You can only answer for orders given in your name."), 403)
    if record.order not in found.raw:
        return _cosign_page(Notice("conflict", "Not done", "The order itself could not be read from the FHIR server "
                                                           "with its co-signature. Nothing was changed; try again."),
                            409)
    change = disagree_change(found.raw, ref, reason, orders_systems(gateway(), settings), utc_now())
    told = who_is_told(record, finds_disagreements_by_patient(gateway()))
    reply = carry_out(change, seen=Seen.parse(form.seen.data),
                      done=f"{record.description or 'The order'} is revoked: {told}",
                      patient=record.patient, entity=record.order)
    if reply.done:
        keep_if_ours(database(), _unit_key(), unit_group(gateway(), settings), record, utc_now())
    return _cosign_page(reply.notice, reply.status)


@bp.post("/disagreements/<task_id>/seen")
@roles_required(*SEEN_BY, what="mark a disagreement seen")
def disagreement_seen(task_id: str) -> Response:
    """Someone on the unit saw that the provider disagreed (the order is revoked) and told the nurse: kept
    with their name for every screen of the kiosk, audited in the same transaction, and off the home
    screen's count. No FHIR request but the page's own."""
    _check_ids(task_id)
    marked = mark_seen(database(), _unit_key(), task_id, current_staff().display_name, utc_now())
    if marked is None:
        return _cosign_page(Notice("error", "Not found", "That is no disagreement of this unit."), 404)
    if not marked:
        return _cosign_page(Notice("info", "Already seen", "Someone on the unit had already marked it seen."))
    return _cosign_page(Notice("ok", "Marked seen", "Every screen of this kiosk shows it as seen by you."))


# ---------------------------------------------------------------- armband scan, home panel


@bp.get("/scan")
def scan_page() -> str:
    return render_template("orders/scan.html", form=ScanForm(formdata=None), choices=None, error=None)


@bp.post("/scan")
def scan() -> WerkzeugResponse | tuple[str, int]:
    form = ScanForm()
    scanned = (form.code.data or "").strip()
    code = parse_scan(scanned) if scanned else None
    if not form.validate() or code is None:
        return render_template("orders/scan.html", form=form, choices=None,
                               error="That is not an armband, an MRN or an encounter number. Scan again."), 422
    try:
        matches = [m for m in find_open_encounters(gateway(), code.encounter or code.text, code.mrn)
                   if m.patient is not None]
    except FhirError as e:
        return render_template("orders/scan.html", form=form, choices=None, error=e.message), 502
    if len(matches) == 1:
        m = matches[0]
        return redirect(url_for("orders.patient", patient_id=m.patient.id, encounter_id=m.encounter.id))
    if not matches:
        return render_template("orders/scan.html", form=form, choices=None,
                               error="No open stay has this number."), 404
    return render_template("orders/scan.html", form=form, choices=matches, error=None), 200


@bp.get("/home")
def home_panel() -> str:
    """How many orders wait for their co-signature and how many are past due, as the scheduler last
    counted them, and how many orders providers disagreed with nobody on the unit has marked seen (the
    kiosk's database only: no FHIR request)."""
    return render_template("orders/_home_panel.html", count=latest_count(database(), _unit_key()),
                           unseen=unseen_count(database(), _unit_key()))
