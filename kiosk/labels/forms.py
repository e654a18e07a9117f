"""The print form (label type, printer, copies, specimen details, the identifier check, a reprint reason,
and its one-time print token) and the scan form that starts a print from an armband or a typed MRN."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from kiosk.armband import parse_scan
from printers import LabelType, PrintersConfig

from .services import REPRINT_REASONS

MAX_COPIES = {LabelType.ADULT_ARMBAND: 3, LabelType.INFANT_ARMBAND: 3, LabelType.CHART: 50, LabelType.SPECIMEN: 10}

CONTAINERS = ("Lavender top (EDTA)", "Light blue top (citrate)", "Gold top (SST)", "Green top (heparin)",
              "Grey top (fluoride)", "Red top (plain)", "Blood culture bottles", "Urine cup", "Swab")


def printer_choices(config: PrintersConfig, label_type: LabelType) -> list[SelectChoice]:
    """The printers loaded with this label stock, by their names (which say where they are)."""
    return [SelectChoice(p.id, p.name) for p in config.printers_for(label_type)]


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
    print_token = HiddenField()

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


def _scan(form: FlaskForm, field: StringField) -> None:
    value = (field.data or "").strip()
    if parse_scan(value) is None:
        raise ValidationError("That is not an MRN or an encounter number. Scan the armband again, or type the MRN.")


class FindPatientForm(FlaskForm):
    """An armband scan (the scanner types the number, then Enter) or an MRN typed by hand: always sent in
    the POST body, never in a URL."""

    code = StringField("Scan armband or type MRN", validators=[
        DataRequired(message="Scan the patient's armband, or type their MRN or encounter number."), _scan])
