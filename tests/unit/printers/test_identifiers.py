"""Identifiers are made once for the text and the barcodes (printers.model.identifier): trimmed, and refused when
they could read differently on the label than in the record."""

from __future__ import annotations

from datetime import date

import pytest

from printers import (
    ArmbandLabel,
    BadIdentifier,
    EncounterDetails,
    LabelType,
    PatientIdentity,
    PrintersConfig,
    ScanIdentifier,
    SpecimenLabel,
    render_pdf,
    render_zpl,
)
from printers.layout import layout_for
from printers.verify import verify


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("language", ["zpl", "pdf"])
def test_a_padded_accession_prints_and_scans_as_the_trimmed_value(language: str, dpi: int,
                                                                  config: PrintersConfig) -> None:
    patient = PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), "  20000074 ")
    label = SpecimenLabel(patient, " S26-000123\u00a0", "CBC", "Lavender top (EDTA)")
    media = config.media[LabelType.SPECIMEN]
    texts = [box.text for box in layout_for(label, media).texts]
    assert "S26-000123" in texts and "DOB 04 Mar 1990 U  MRN 20000074" in texts
    rendered = render_zpl(label, media, dpi) if language == "zpl" else render_pdf(label, media, dpi=dpi)
    assert [d.text for d in verify(rendered).decoded] == ["S26-000123"]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("language", ["zpl", "pdf"])
def test_an_armband_from_a_padded_record_scans_as_the_trimmed_mrn_and_number(language: str, dpi: int,
                                                                             config: PrintersConfig) -> None:
    patient = PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), "\u00a020000074  ")
    label = ArmbandLabel(patient, EncounterDetails(" 610000013\t"), scan=ScanIdentifier.MRN)
    media = config.media[LabelType.ADULT_ARMBAND]
    rendered = render_zpl(label, media, dpi) if language == "zpl" else render_pdf(label, media, dpi=dpi)
    assert sorted(d.text for d in verify(rendered).decoded) == ["20000074", "MRN:20000074|ENC:610000013"]


@pytest.mark.parametrize("value", ["2000 0074", "20000074\t1", "2000\r\n0074", "２００００074", "2000\u200b0074"])
def test_an_mrn_that_could_read_as_another_is_refused(value: str) -> None:
    with pytest.raises(BadIdentifier, match="MRN on record") as refused:
        PatientIdentity("Okafor", ("Ada",), date(1990, 3, 4), value)
    assert value not in refused.value.message
