"""Forms of bed placement. Every POST is CSRF-checked; whether the request and the bed still allow the
action is checked by the services against what the server holds, not here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kiosk.fhir.records import FHIR_ID

SEEN = Regexp(r"^[A-Za-z]+/[A-Za-z0-9\-.]+@[A-Za-z0-9\-.]+( [A-Za-z]+/[A-Za-z0-9\-.]+@[A-Za-z0-9\-.]+)*$",
              message="This form is not from the kiosk. Open it again.")


class AssignForm(FlaskForm):
    seen = HiddenField(validators=[DataRequired(message="This form is not from the kiosk. Open it again."), SEEN])
    bed = HiddenField(validators=[DataRequired(message="Choose a bed."), Regexp(FHIR_ID, message="Choose a bed.")])
    bed_version = HiddenField(validators=[DataRequired(message="Choose a bed."), Length(max=64)])


class DeclineForm(FlaskForm):
    seen = HiddenField(validators=[DataRequired(message="This form is not from the kiosk. Open it again."), SEEN])
    reason = StringField(validators=[DataRequired(message="Say why the unit cannot take this patient."),
                                     Length(max=120, message="Keep the reason under 120 characters.")])


class TransitForm(FlaskForm):
    seen = HiddenField(validators=[Optional(), SEEN])
