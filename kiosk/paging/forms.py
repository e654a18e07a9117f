"""Forms of the paging screens. The compose form carries the page's public id (made once per form
drawn: a double tap sends one page) and the SHA-256 of the message it previewed (what is sent must be
what was shown)."""

from __future__ import annotations

import hashlib
import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from kiosk.fhir.change import Seen
from kiosk.fhir.records import FHIR_ID as RECORD_ID

from .compose import TEMPLATES, About, Draft
from .links import PUBLIC_ID
from .settings import URGENCIES

FHIR_ID = Regexp(RECORD_ID, message="That is not a record id.")
RECIPIENT = re.compile(r"^(PractitionerRole|Practitioner)/[A-Za-z0-9\-.]{1,64}\|[a-z0-9-]{0,40}$")
CALLBACK = re.compile(r"^[0-9+()x.\- ]{2,24}$")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ComposeForm(FlaskForm):
    public_id = HiddenField(validators=[DataRequired(), Regexp(PUBLIC_ID, message="That form is not from the kiosk.")])
    patient_id = HiddenField(validators=[Optional(), FHIR_ID])
    encounter_id = HiddenField(validators=[Optional(), FHIR_ID])
    recipient = StringField(validators=[Optional(), Regexp(RECIPIENT, message="Choose whom to page.")])
    urgency = StringField(validators=[AnyOf(URGENCIES, message="Choose routine, urgent or stat.")], default="routine")
    template = StringField(validators=[Optional(), AnyOf([t.key for t in TEMPLATES], message="Choose a message.")])
    free_text = TextAreaField("Message", validators=[Optional(), Length(max=2000, message="That is far more than a "
                                                                                          "pager shows.")])
    callback = StringField("Call back at", validators=[
        DataRequired(message="A number to call back is needed."),
        Regexp(CALLBACK, message="A callback number is digits (with + ( ) - x), 2 to 24 of them.")])
    about_room = HiddenField(validators=[Optional(), Length(max=40)])
    about_initials = HiddenField(validators=[Optional(), Length(max=12)])
    preview_hash = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{64}$")])

    def validate(self, extra_validators: dict | None = None) -> bool:  # type: ignore[type-arg]
        valid = super().validate(extra_validators)
        if not (self.free_text.data or "").strip() and not (self.template.data or "").strip():
            self.refuse("free_text", "Choose a message or type one.")
            return False
        return valid

    def draft(self) -> Draft:
        about = None
        if self.encounter_id.data:
            about = About((self.about_room.data or "").strip(), (self.about_initials.data or "").strip())
        return Draft(self.urgency.data or "routine", self.template.data or None, self.free_text.data or "",
                     (self.callback.data or "").strip(), about)

    def chosen(self) -> tuple[str, str | None]:
        """(recipient reference, the on-call role it was chosen as)."""
        ref, _, role = (self.recipient.data or "").partition("|")
        return ref, role or None

    def refuse(self, field: str, text: str) -> None:
        """Show `text` next to a field after the form validated (a check the form alone cannot make)."""
        getattr(self, field).errors = [text]
        self._errors = None

    def first_error(self) -> str | None:
        return next((str(errors[0]) for errors in self.errors.values() if errors), None)

    def field_errors(self) -> dict[str, str]:
        return {name: str(errors[0]) for name, errors in self.errors.items() if errors}


class PageActionForm(FlaskForm):
    """Called back, cancel: the versions of the page's record the screen showed."""

    seen = HiddenField(validators=[Optional(), Length(max=400)])

    def shown(self) -> Seen:
        return Seen.parse(self.seen.data)
