"""The count form: one entry per item of a location, each a whole number or left blank (not counted).

What was typed is kept as typed, so a refused form comes back with every value as the person left it.
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, HiddenField, StringField
from wtforms.validators import ValidationError

from .config import SupplyLocation

MAX_COUNT = 99_999
WHOLE = re.compile(r"^\d+$")
NUMBER = re.compile(r"^[+-]?(\d+[.,]\d*|[.,]\d+)$")


def whole_count(_form: Form, field: StringField) -> None:
    """Blank (not counted this time) or a whole number from 0 to 99,999."""
    text = (field.data or "").strip()
    if not text:
        return
    if text.startswith("-") and WHOLE.match(text[1:]):
        raise ValidationError("A count cannot be below zero.")
    if NUMBER.match(text):
        raise ValidationError(f"Count whole units: {text} is not a whole number.")
    if not WHOLE.match(text):
        raise ValidationError(f"Type a whole number, not “{text[:12]}”.")
    if int(text) > MAX_COUNT:
        raise ValidationError(f"{text} is more than a location holds; check the number.")


class ItemCountForm(Form):
    code = HiddenField()
    count = StringField(validators=[whole_count])


class CountForm(FlaskForm):
    counts = FieldList(FormField(ItemCountForm))

    def typed(self) -> dict[str, str]:
        """What was typed for each item code (as typed)."""
        return {entry.form.code.data: entry.form.count.data or "" for entry in self.counts}

    def errors_by_item(self) -> dict[str, str]:
        return {entry.form.code.data: entry.form.count.errors[0] for entry in self.counts if entry.form.count.errors}

    def quantities(self) -> dict[str, int]:
        """The counted items whose count is a whole number (blank and refused ones left out)."""
        return {code: int(text.strip()) for code, text in self.typed().items() if WHOLE.match(text.strip())}


def count_form(location: SupplyLocation, formdata: MultiDict[str, str] | None = None) -> CountForm:
    """An empty form for the location's items (GET), or the posted one (POST)."""
    if formdata is not None:
        return CountForm(formdata=formdata)
    form = CountForm(formdata=None)
    for item in location.items:
        form.counts.append_entry({"code": item.code, "count": ""})
    return form


def check_codes(form: CountForm, location: SupplyLocation) -> str | None:
    """A form-level problem: items that are not (or no longer) on this location's list, or nothing typed."""
    unknown = [code for code in form.typed() if location.item(code) is None]
    if unknown:
        return (f"{location.name} has no item {unknown[0]} (the par list may have changed); reload the page "
                "and count again.")
    if not form.quantities() and not form.errors_by_item():
        return "Nothing to save yet: type a count for at least one item."
    return None
