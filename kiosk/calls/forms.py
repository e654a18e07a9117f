"""Forms of the call-light screens (CSRF on each)."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Regexp

from kiosk.fhir.records import FHIR_ID

from .models import Reason

PERSON = re.compile(r"^(PractitionerRole|Practitioner)/[A-Za-z0-9\-.]{1,64}$")


class RaiseForm(FlaskForm):
    """Two taps: a bed, then a reason. `token` is made once per screen drawn: a double tap logs one call."""

    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$", message="That form is not from "
                                                                                        "the kiosk.")])
    bed = StringField(validators=[DataRequired(message="Tap the bed first."),
                                  Regexp(FHIR_ID, message="That is not a bed.")])
    reason = StringField(validators=[AnyOf([r.value for r in Reason], message="Tap a reason.")])


class NurseForm(FlaskForm):
    nurse = StringField(validators=[DataRequired(), Regexp(PERSON, message="Choose a nurse.")])


class AnswerForm(FlaskForm):
    pass
