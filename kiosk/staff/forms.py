from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from kiosk.auth import Role
from kiosk.auth.services import trivial_pin_reason

PIN_RULE = Regexp(r"^\d{4,12}$", message="A PIN is 4 to 12 digits.")


def not_trivial(form: FlaskForm, field: Field) -> None:
    """Refuse PINs such as 1234, 0000 or 1212 next to the field (the service refuses them too)."""
    reason = trivial_pin_reason(field.data or "")
    if reason:
        raise ValidationError(reason)


class StaffForm(FlaskForm):
    badge = StringField("Badge number", validators=[DataRequired("Scan or type the badge."), Length(max=64)])
    display_name = StringField("Name shown on screen", validators=[DataRequired("Enter the name."),
                                                                    Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(r.value, r.label.capitalize()) for r in Role])
    practitioner = StringField("FHIR Practitioner (providers)", validators=[Optional(), Length(max=200)])
    pin = PasswordField("PIN", validators=[DataRequired("Choose a PIN."), PIN_RULE, not_trivial])
    pin_again = PasswordField("PIN again", validators=[EqualTo("pin", message="The two PINs differ.")])


class ResetPinForm(FlaskForm):
    pin = PasswordField("New PIN", validators=[DataRequired("Choose a PIN."), PIN_RULE, not_trivial])
    pin_again = PasswordField("New PIN again", validators=[EqualTo("pin", message="The two PINs differ.")])
