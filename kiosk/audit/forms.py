from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError


class AuditSearchForm(FlaskForm):
    """Posted, not sent in the URL: the patient field holds an MRN."""

    day_from = DateField("From", validators=[Optional()])
    day_to = DateField("To", validators=[Optional()])
    user = StringField("Staff (badge or name)", validators=[Optional(), Length(max=120)])
    mrn = StringField("Patient MRN", validators=[Optional(), Length(max=40)])
    action = SelectField("Action", choices=[SelectChoice("", "Any action")], validators=[Optional()],
                         validate_choice=False)

    def validate_day_to(self, field: DateField) -> None:
        if field.data and self.day_from.data and field.data < self.day_from.data:
            raise ValidationError("The end date is before the start date.")
