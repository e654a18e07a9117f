"""The milestone tick form: CSRF-checked; the service checks the milestone and the patient against what is
current."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from kiosk.fhir.records import FHIR_ID

from .settings import MILESTONE_KEY


class MilestoneForm(FlaskForm):
    milestone = HiddenField(validators=[DataRequired(), Regexp(MILESTONE_KEY, message="That is not a milestone.")])
    done = HiddenField(validators=[DataRequired(), Regexp(r"^(yes|no)$", message="Tick or untick.")])
    #: The patient the list was shown for (their encounter's id).
    encounter = HiddenField(validators=[DataRequired(), Regexp(FHIR_ID, message="That is not a patient.")])

    def first_error(self) -> str:
        return next((str(errors[0]) for errors in self.errors.values() if errors), "The form is not right.")
