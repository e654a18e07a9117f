"""The assignment form. CSRF-checked like every POST; what makes sense (the people, the beds, the shift)
is checked by the service against what the server holds now, not here.

Per bed the form carries `enc-<bed id>` (the patient it showed), `nurse-<bed id>` and `aide-<bed id>`
('Practitioner/<id>', or empty for nobody); beds are listed in `beds`. No one-time token: what a save
creates is identified by patient and shift, so a double tap or a retry finds what the first one wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kiosk.fhir.change import Seen
from kiosk.fhir.records import FHIR_ID

from .assign import SLOTS, AssignmentRequest

PRACTITIONER = re.compile(r"^Practitioner/[A-Za-z0-9\-.]{1,64}$")
SHIFT_KEY = r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]{1,20}$"
#: A screen lists at most this many beds (a unit far larger than any ward).
MOST_BEDS = 400


class AssignForm(FlaskForm):
    shift = HiddenField(validators=[DataRequired(), Regexp(SHIFT_KEY, message="That is not a shift.")])
    which = HiddenField(validators=[DataRequired(), Regexp(r"^(current|next)$", message="That is not a shift.")])
    beds = HiddenField(validators=[Optional(), Length(max=MOST_BEDS * 66)])
    charge = HiddenField(validators=[Optional(), Regexp(PRACTITIONER, message="That is not a person.")])
    seen = HiddenField(validators=[Optional(), Length(max=MOST_BEDS * 120)])
    absent = HiddenField(validators=[Optional(), Length(max=MOST_BEDS * 120)])

    def bed_ids(self) -> list[str]:
        ids = [b for b in (self.beds.data or "").split(",") if b]
        if len(ids) > MOST_BEDS or not all(FHIR_ID.match(b) for b in ids):
            raise ValueError("The form lists beds the kiosk does not know.")
        return ids

    def to_request(self, form: Mapping[str, str]) -> AssignmentRequest:
        """The posted choices; ValueError (with a sentence) for anything that is not a bed or a person."""
        chosen: dict[str, dict[str, str]] = {}
        encounters: dict[str, str] = {}
        for bed in self.bed_ids():
            encounter = form.get(f"enc-{bed}", "")
            if not FHIR_ID.match(encounter):
                raise ValueError("The form does not say which patient a bed showed.")
            encounters[bed] = encounter
            chosen[bed] = {}
            for slot in SLOTS:
                value = form.get(f"{slot}-{bed}", "").strip()
                if value and not PRACTITIONER.match(value):
                    raise ValueError("The form names someone the kiosk does not know.")
                chosen[bed][slot] = value
        return AssignmentRequest(shift_key=self.shift.data or "", encounters=encounters, chosen=chosen,
                                 charge=(self.charge.data or "").strip(), seen=Seen.parse(self.seen.data),
                                 absent=frozenset((self.absent.data or "").split()))

    def kept(self, form: Mapping[str, str]) -> dict[str, str]:
        """What the person chose, to draw it again when nothing was saved."""
        out = {k: v for k, v in form.items() if re.match(r"^(nurse|aide)-[A-Za-z0-9\-.]{1,64}$", k)
               and (not v or PRACTITIONER.match(v))}
        if self.charge.data and PRACTITIONER.match(self.charge.data):
            out["charge"] = self.charge.data
        return out

    def first_error(self) -> str | None:
        return next((str(errors[0]) for errors in self.errors.values() if errors), None)
