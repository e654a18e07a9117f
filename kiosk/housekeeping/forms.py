"""The one form of housekeeping: an action on a bed's cleaning job, with the versions shown (`seen`) and
the screen's token (identifies a job the action would create). CSRF-checked; what makes sense for the
bed is checked by the services against what the server holds."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kiosk.fhir.records import FHIR_ID

NOT_FROM_KIOSK = "This form is not from the kiosk. Open the page again."


class JobForm(FlaskForm):
    seen = HiddenField(validators=[Optional(), Length(max=2000)])
    token = HiddenField(validators=[DataRequired(NOT_FROM_KIOSK), Regexp(r"^[0-9a-f]{32}$", message=NOT_FROM_KIOSK)])
    task = HiddenField(validators=[Optional(), Regexp(FHIR_ID, message=NOT_FROM_KIOSK)])
    screen = HiddenField(validators=[Optional(), Regexp(r"^(phone|desk)$", message=NOT_FROM_KIOSK)])

    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return None
