"""The print form: label type, printer, copies, specimen details, the identifier check and a reprint reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from printers import LabelType, PrintersConfig

from .services import REPRINT_REASONS

MAX_COPIES = {LabelType.ADULT_ARMBAND: 3, LabelType.INFANT_ARMBAND: 3, LabelType.CHART: 50, LabelType.SPECIMEN: 10}

CONTAINERS = ("Lavender top (EDTA)", "Light blue top (citrate)", "Gold top (SST)", "Green top (heparin)",
              "Grey top (fluoride)", "Red top (plain)", "Blood culture bottles", "Urine cup", "Swab")


def printer_choices(config: PrintersConfig, label_type: LabelType) -> list[SelectChoice]:
    """The printers loaded with this label stock."""
    return [SelectChoice(p.id, f"{p.name} · {p.description}") for p in config.printers_for(label_type)]


class PrintForm(FlaskForm):
    label_type = HiddenField(validators=[InputRequired()])
    printer_id = SelectField("Printer", validators=[InputRequired()], validate_choice=True)
    copies = IntegerField("Copies", default=1, validators=[InputRequired(message="Enter how many copies."),
                                                           NumberRange(min=1, max=50)])
    accession = StringField("Accession number", validators=[Optional(), Length(max=40)])
    test = StringField("Test", validators=[Optional(), Length(max=80)])
    container = StringField("Container", validators=[Optional(), Length(max=60)])
    identifiers_confirmed = BooleanField("I checked the name and date of birth with the patient")
    reprint_reason = SelectField("Reason for reprint", default="",
                                 choices=[SelectChoice("", "Choose a reason"),
                                          *(SelectChoice(k, v) for k, v in REPRINT_REASONS.items())])
    preview_sha256 = HiddenField()

    def chosen_type(self) -> LabelType | None:
        try:
            return LabelType(self.label_type.data or "")
        except ValueError:
            return None

    def check_copies(self, label_type: LabelType) -> bool:
        limit = MAX_COPIES[label_type]
        if self.copies.data is not None and self.copies.data > limit:
            self.copies.errors = [*self.copies.errors, f"At most {limit} copies of a {label_type.title.lower()}."]
            return False
        return True

    def check_specimen(self) -> bool:
        ok = True
        for field, name in ((self.accession, "accession number"), (self.test, "test"),
                            (self.container, "container")):
            if not (field.data or "").strip():
                field.errors = [*field.errors, f"Enter the {name}."]
                ok = False
        return ok
