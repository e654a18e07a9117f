from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class BadgeForm(FlaskForm):
    badge = StringField("Badge", validators=[DataRequired("Scan your badge or type its number."),
                                             Length(max=64)])


class PinForm(FlaskForm):
    pin = PasswordField("PIN", validators=[DataRequired("Enter your PIN."),
                                           Regexp(r"^\d{1,12}$", message="A PIN is digits only.")])
