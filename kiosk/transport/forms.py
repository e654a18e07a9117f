"""Forms of patient transport. Every POST is CSRF-checked; what makes sense for the patient and the job
is checked by the services against what the server holds, not here."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from kiosk.armband import ScanCode, parse_scan
from kiosk.fhir.records import FHIR_ID

from .actions import OTHER_REASON
from .services import JobChoices, RequestChoices

REASON_LENGTH = "Keep the reason under 120 characters."
NUMBER = Regexp(r"^TR-[0-9A-F]{8}$", message="This form is not from the kiosk. Open it again.")


def _text(field: StringField | HiddenField | TextAreaField) -> str:
    return (field.data or "").strip()


class RequestForm(FlaskForm):
    number = HiddenField(validators=[NUMBER])
    order = HiddenField(validators=[Optional(), Regexp(FHIR_ID, message="That is not an order id.")])
    purpose = StringField(validators=[Optional(), Length(max=20)])
    destination = StringField(validators=[Optional(), Length(max=80)])
    mode = StringField(validators=[Optional(), Length(max=20)])
    needs = SelectMultipleField(choices=[], validate_choice=False)
    oxygen_lpm = StringField(validators=[Optional(), Length(max=8)])
    priority = StringField(validators=[Optional(), Length(max=10)])
    when = StringField(validators=[Optional(), Length(max=5)])
    pickup_at = StringField(validators=[Optional(), Length(max=20)])
    round_trip = BooleanField()
    return_at = StringField(validators=[Optional(), Length(max=20)])
    note = TextAreaField(validators=[Optional(), Length(max=200, message="Keep the note under 200 characters.")])

    def choices(self) -> RequestChoices:
        return RequestChoices(
            number=_text(self.number), purpose=_text(self.purpose), destination=_text(self.destination),
            mode=_text(self.mode), needs=tuple(dict.fromkeys(self.needs.data or [])),
            oxygen_lpm=_text(self.oxygen_lpm), priority=_text(self.priority), when=_text(self.when) or "now",
            pickup_at=_text(self.pickup_at), round_trip=bool(self.round_trip.data), return_at=_text(self.return_at),
            note=_text(self.note), order=_text(self.order) or None,
        )

    def chosen(self) -> dict[str, object]:
        """What the person picked, to show again when the form comes back."""
        c = self.choices()
        return {"purpose": c.purpose, "destination": c.destination, "mode": c.mode, "needs": list(c.needs),
                "oxygen_lpm": c.oxygen_lpm, "priority": c.priority, "when": c.when, "pickup_at": c.pickup_at,
                "round_trip": c.round_trip, "return_at": c.return_at, "note": c.note}

    def first_error(self) -> tuple[str, str] | None:
        for name, errors in self.errors.items():
            if errors:
                return name, str(errors[0])
        return None


class JobForm(FlaskForm):
    """An action on a job, from the transport board or a transporter's screen. The armband scan and
    the date of birth travel in the body, never in a URL."""

    number = HiddenField(validators=[NUMBER])
    seen = HiddenField(validators=[Optional(), Length(max=2000)])
    screen = HiddenField(validators=[Optional(), Regexp(r"^(board|phone)$")])
    zone = HiddenField(validators=[Optional(), Length(max=40)])
    reason = StringField(validators=[Optional(), Length(max=120, message=REASON_LENGTH)])
    reason_other = StringField(validators=[Optional(), Length(max=120, message=REASON_LENGTH)])
    code = StringField(validators=[Optional(), Length(max=100, message="That scan is too long to be an armband.")])
    birth_date = StringField(validators=[Optional(), Length(max=10)])

    def scan(self) -> ScanCode | None:
        return parse_scan(self.code.data or "") if (self.code.data or "").strip() else None

    def birth(self) -> date | None:
        try:
            return date.fromisoformat(_text(self.birth_date)) if _text(self.birth_date) else None
        except ValueError:
            return None

    def choices(self) -> JobChoices:
        reason = _text(self.reason)
        if reason == OTHER_REASON:
            reason = _text(self.reason_other)
        return JobChoices(number=_text(self.number), reason=reason or None, scan=self.scan(), birth_date=self.birth())

    def scan_problem(self) -> str | None:
        """A scan that is neither an MRN, an encounter number nor the kiosk armband."""
        if (self.code.data or "").strip() and self.scan() is None:
            return "That scan is not an armband: scan the armband again."
        if _text(self.birth_date) and self.birth() is None:
            return "That is not a date of birth."
        return None

    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return None
