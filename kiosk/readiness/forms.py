"""The tick form: CSRF-checked; the service checks the item and the patient against what is current."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from kiosk.fhir.records import FHIR_ID

from .settings import ITEM_KEY


class TickForm(FlaskForm):
    item = HiddenField(validators=[DataRequired(), Regexp(ITEM_KEY, message="That is not an item.")])
    done = HiddenField(validators=[DataRequired(), Regexp(r"^(yes|no)$", message="Tick or untick.")])
    #: The patient the checklist was shown for (their encounter's id).
    encounter = HiddenField(validators=[DataRequired(), Regexp(FHIR_ID, message="That is not a patient.")])

    def first_error(self) -> str:
        return next((str(errors[0]) for errors in self.errors.values() if errors), "The form is not right.")
