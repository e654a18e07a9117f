"""Forms of the bed board. Every POST is CSRF-checked (htmx sends the token in X-CSRFToken); what makes
sense for the action is checked by the service against the current state, not here.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kiosk.armband import ScanCode, parse_scan
from kiosk.fhir.change import Seen
from kiosk.fhir.patients import NameQuery, parse_name_query
from kiosk.fhir.records import FHIR_ID as RECORD_ID

from .actions import ActionRequest
from .panel import OTHER_REASON

FHIR_ID = Regexp(RECORD_ID, message="That is not a record id.")
#: Form fields whose message is shown next to another field.
SHOWN_WITH = {"reason_other": "reason"}
#: Characters of the panel's versions a form may send back: some 3,000 free beds.
SEEN_MAX = 200_000
PANEL_KEY = Regexp(r"^(bed|encounter):[A-Za-z0-9\-.]{1,64}$", message="That is not a panel.")


class ActionForm(FlaskForm):
    """The fields any action may carry; which ones it needs is the service's business."""

    panel = HiddenField(validators=[DataRequired(), PANEL_KEY])
    bed = HiddenField(validators=[Optional(), FHIR_ID])
    encounter = StringField(validators=[Optional(), FHIR_ID])
    target = StringField(validators=[Optional(), FHIR_ID])
    disposition = StringField(validators=[Optional(), Length(max=20)])
    reason = StringField("Reason", validators=[Optional(), Length(max=120, message="Keep the reason under 120 "
                                                                                   "characters.")])
    #: The reason typed when "Other" is chosen.
    reason_other = StringField("Other reason", validators=[
        Optional(), Length(max=120, message="Keep the reason under 120 characters.")])
    kind = StringField(validators=[Optional(), Length(max=40)])
    ready = StringField(validators=[Optional(), Length(max=5)])
    day = StringField(validators=[Optional(), Length(max=10)])
    #: A day typed or picked in the date field: it wins over the day buttons.
    day_other = StringField(validators=[Optional(), Length(max=10)])
    expired_confirmed = HiddenField(validators=[Optional(), Length(max=5)])
    #: The versions the panel showed (kiosk.beds.panel.Panel.seen). A transfer's panel names every free bed
    #: it offers, on other units too (about 60 characters each): 4,000 refused a transfer on a hospital
    #: with some 70 free beds. The request's size limit (2 MB) bounds it as well.
    seen = HiddenField(validators=[Optional(), Length(max=SEEN_MAX)])
    token = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$", message="That form is not from the kiosk.")])


    def to_request(self, action: str) -> ActionRequest:
        def value(field: StringField | HiddenField) -> str | None:
            text = (field.data or "").strip()
            return text or None

        reason = value(self.reason)
        if reason == OTHER_REASON:
            reason = value(self.reason_other)
        return ActionRequest(
            action=action,
            bed_id=value(self.bed),
            encounter_id=value(self.encounter),
            target_id=value(self.target),
            disposition=value(self.disposition),
            reason=reason,
            kind=value(self.kind),
            ready=self.ready.data == "yes",
            day=value(self.day_other) or value(self.day),
            seen=Seen.parse(self.seen.data),
            token=value(self.token),
            expired_confirmed=self.expired_confirmed.data == "yes",
        )

    def chosen(self) -> dict[str, str]:
        """What the user picked, to show again when the form comes back."""
        names = ("encounter", "target", "disposition", "reason", "reason_other", "kind", "ready", "day", "day_other")
        return {n: str(self[n].data) for n in names if self[n].data}

    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return None

    def field_errors(self) -> dict[str, str]:
        """The first message of each field, keyed by the field it is shown with."""
        out: dict[str, str] = {}
        for name, errors in self.errors.items():
            if errors and name not in ("csrf_token", "panel", "seen", "token"):
                out.setdefault(SHOWN_WITH.get(name, name), str(errors[0]))
        return out


def _is_scan(_form: FlaskForm, field: Field) -> None:
    if parse_name_query(field.data or "") is None and parse_scan(field.data or "") is None:
        raise ValidationError("That is not an MRN, an encounter number or a kiosk armband, nor a family name "
                              "and initial (SMITH, J) or a date of birth (1955-08-21). Scan the armband again "
                              "or type it that way.")


class ScanForm(FlaskForm):
    """An armband scan (a keyboard-wedge scanner types the MRN or encounter number, or the armband's
    Data Matrix 'MRN:<mrn>|ENC:<number>', then Enter), the same number typed by hand, or a patient's
    family name and initial ("SMITH, J") or date of birth. Sent in the POST body, never in a URL."""

    code = StringField("MRN, encounter number, name or date of birth", validators=[
        DataRequired(message="Scan an armband or type a number."),
        Length(max=100, message="That scan is too long to be an armband. Scan it again."),
        _is_scan,
    ])

    def name_query(self) -> NameQuery | None:
        """The family name and initial, or the date of birth, typed; None for a scan or a number."""
        return parse_name_query(self.code.data or "")

    def scanned(self) -> ScanCode:
        code = parse_scan(self.code.data or "")
        if code is None:
            raise ValueError("scan form used before it was validated")
        return code
