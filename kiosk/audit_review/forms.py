from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from kiosk.armband import parse_scan


class AuditSearchForm(FlaskForm):
    """Posted, not sent in the URL: the patient field holds an MRN."""

    day_from = DateField("From", validators=[Optional()])
    day_to = DateField("To", validators=[Optional()])
    user = StringField("Staff (badge or name)", validators=[Optional(), Length(max=120)])
    mrn = StringField("Patient MRN", validators=[Optional(), Length(max=40)])
    action = SelectField("Action", choices=[SelectChoice("", "Any action")], validators=[Optional()],
                         validate_choice=False)

    def validate_mrn(self, field: StringField) -> None:
        """The bed board's rule for a typed or scanned number: letters, digits, dots and dashes. Search
        characters (',' '|' '$' '\\') are refused here, and escaped in kiosk/fhir whatever comes."""
        if field.data and parse_scan(field.data) is None:
            raise ValidationError("An MRN is 3 to 40 letters, digits, dots or dashes.")

    def patient_mrn(self) -> str | None:
        """The MRN to look up: as typed, or the MRN of a scanned armband's Data Matrix."""
        code = parse_scan(self.mrn.data) if self.mrn.data else None
        return None if code is None else (code.mrn or code.text)

    def validate_day_to(self, field: DateField) -> None:
        if field.data and self.day_from.data and field.data < self.day_from.data:
            raise ValidationError("The end date is before the start date.")
