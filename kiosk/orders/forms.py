"""Forms of orders. Every POST is CSRF-checked; what makes sense for the patient and the order is
checked by the services (kiosk/orders/services.py), not here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from .services import DETAILS, MAX_TEXT, OrderChoices

TEXT = Length(max=MAX_TEXT, message=f"Keep it under {MAX_TEXT} characters.")
NUMBER = Regexp(r"^OR-[0-9A-F]{10}$", message="This form is not from the kiosk. Open it again.")
DETAIL_CODES = tuple(code for fields in DETAILS.values() for code, _, _ in fields)


def _text(field: StringField | HiddenField | TextAreaField) -> str:
    return (field.data or "").strip()


class OrderForm(FlaskForm):
    """The order form and its read-back step (the same fields, carried as they were typed)."""

    number = HiddenField(validators=[NUMBER])
    step = HiddenField(validators=[Optional(), Regexp(r"^(review|send|edit)$")])
    item = StringField(validators=[Optional(), Length(max=60)])
    mode = StringField(validators=[Optional(), Length(max=10)])
    provider = StringField(validators=[Optional(), Length(max=80)])
    priority = StringField(validators=[Optional(), Length(max=10)])
    when = StringField(validators=[Optional(), Length(max=5)])
    at = StringField(validators=[Optional(), Length(max=20)])
    days = StringField(validators=[Optional(), Length(max=3)])
    reason = StringField(validators=[Optional(), TEXT])
    note = TextAreaField(validators=[Optional(), TEXT])
    d_reason = StringField(validators=[Optional(), TEXT])
    d_travel = StringField(validators=[Optional(), Length(max=40)])
    d_texture = StringField(validators=[Optional(), Length(max=40)])
    d_fluids = StringField(validators=[Optional(), Length(max=40)])
    d_question = TextAreaField(validators=[Optional(), TEXT])
    read_back = BooleanField()
    order_anyway = BooleanField()
    duplicate_reason = StringField(validators=[Optional(), TEXT])

    def choices(self) -> OrderChoices:
        details = {code: _text(getattr(self, f"d_{code}")) for code in DETAIL_CODES}
        return OrderChoices(
            number=_text(self.number), item=_text(self.item), mode=_text(self.mode), provider=_text(self.provider),
            priority=_text(self.priority), when=_text(self.when) or "now", at=_text(self.at), days=_text(self.days),
            reason=_text(self.reason), note=_text(self.note), details=details, read_back=bool(self.read_back.data),
            duplicate_reason=_text(self.duplicate_reason) if self.order_anyway.data else "",
        )

    def chosen(self) -> dict[str, object]:
        """What the person typed and picked, to show again."""
        c = self.choices()
        return {"item": c.item, "mode": c.mode, "provider": c.provider, "priority": c.priority, "when": c.when,
                "at": c.at, "days": c.days, "reason": c.reason, "note": c.note,
                **{f"d_{k}": v for k, v in c.details.items()}, "duplicate_reason": _text(self.duplicate_reason),
                "order_anyway": bool(self.order_anyway.data), "read_back": c.read_back}

    def first_error(self) -> tuple[str, str] | None:
        for name, errors in self.errors.items():
            if errors:
                return name, str(errors[0])
        return None


class CosignForm(FlaskForm):
    """A provider signs the orders they selected; `seen` carries the versions on their screen."""

    tasks = SelectMultipleField(choices=[], validate_choice=False)
    seen = HiddenField(validators=[Optional(), Length(max=20000)])


class ReasonForm(FlaskForm):
    """Disagree with an order, or discontinue one: the reason and the versions on screen."""

    reason = StringField(validators=[Optional(), Length(max=120, message="Keep the reason under 120 characters.")])
    seen = HiddenField(validators=[Optional(), Length(max=2000)])
    back = HiddenField(validators=[Optional(), Regexp(r"^(patient|cosign)$")])


class ScanForm(FlaskForm):
    """An armband scan or a typed MRN, in the POST body only."""

    code = StringField(validators=[Optional(), Length(max=100, message="That scan is too long to be an armband.")])
