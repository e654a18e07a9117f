"""Forms of the bed board. Every POST is CSRF-checked (htmx sends the token in X-CSRFToken); what makes
sense for the action is checked by the service against the current state, not here.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .actions import ActionRequest
from .panel import parse_seen
from .services import SCAN_PATTERN

#: FHIR resource ids: letters, digits, '-' and '.', up to 64.
FHIR_ID = Regexp(r"^[A-Za-z0-9\-.]{1,64}$", message="That is not a record id.")
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
    kind = StringField(validators=[Optional(), Length(max=40)])
    ready = StringField(validators=[Optional(), Length(max=5)])
    seen = HiddenField(validators=[Optional(), Length(max=4000)])

    def to_request(self, action: str) -> ActionRequest:
        def value(field: StringField | HiddenField) -> str | None:
            text = (field.data or "").strip()
            return text or None

        return ActionRequest(
            action=action,
            bed_id=value(self.bed),
            encounter_id=value(self.encounter),
            target_id=value(self.target),
            disposition=value(self.disposition),
            reason=value(self.reason),
            kind=value(self.kind),
            ready=self.ready.data == "yes",
            seen=parse_seen(self.seen.data or ""),
        )

    def chosen(self) -> dict[str, str]:
        """What the user picked, to show again when the form comes back."""
        names = ("encounter", "target", "disposition", "reason", "kind", "ready")
        return {n: str(self[n].data) for n in names if self[n].data}

    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return None


class ScanForm(FlaskForm):
    """An armband scan (a keyboard-wedge scanner types the MRN or encounter number, then Enter), or
    the same number typed by hand. Sent in the POST body, never in a URL."""

    code = StringField("MRN or encounter number", validators=[
        DataRequired(message="Scan an armband or type a number."),
        Regexp(SCAN_PATTERN, message="That scan is not an MRN or an encounter number. Scan the armband again."),
    ])
