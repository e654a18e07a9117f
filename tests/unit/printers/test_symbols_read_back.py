"""Every label type, at 203 and 300 dpi and as PDF, with hard names: rendered from the exact bytes
(zplkit for ZPL, pypdfium2 for PDF) and every symbol decoded with zxing-cpp equals the intended value."""

from __future__ import annotations

import pytest

from printers import LabelType, PrintersConfig, render_pdf, render_zpl
from printers.layout import datamatrix_content
from printers.verify import decode, first_format, rasterize_pdf, rasterize_zpl, verify
from tests.unit.printers.conftest import NAMES, make_label, patient


def expected(label_type: LabelType) -> set[tuple[str, str]]:
    if label_type is LabelType.SPECIMEN:
        return {("Code128", "S26-000123")}
    if label_type is LabelType.CHART:
        return {("Code128", "610000013")}
    return {("Code128", "610000013"), ("DataMatrix", datamatrix_content("20000074", "610000013"))}


def test_the_long_name_is_eighty_characters_as_printed() -> None:
    assert len(patient("eighty").name_last_first) == 80


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label_type", list(LabelType))
def test_zpl_symbols_decode_to_the_exact_identifiers(label_type: LabelType, dpi: int, name: str,
                                                     config: PrintersConfig) -> None:
    rendered = render_zpl(make_label(label_type, name), config.media[label_type], dpi)
    images = rasterize_zpl(first_format(rendered.data), dpi)
    assert len(images) == 1
    found = {(d.kind, d.text) for d in decode(images[0])}
    assert found == expected(label_type)
    assert verify(rendered).decoded  # the kiosk's own check agrees


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("label_type", list(LabelType))
def test_pdf_symbols_decode_to_the_exact_identifiers(label_type: LabelType, name: str,
                                                     config: PrintersConfig) -> None:
    rendered = render_pdf(make_label(label_type, name), config.media[label_type], copies=2)
    pages = rasterize_pdf(rendered.data)
    assert len(pages) == 2
    for page in pages:
        assert {(d.kind, d.text) for d in decode(page)} == expected(label_type)


@pytest.mark.parametrize("label_type", list(LabelType))
def test_copies_repeat_the_whole_verified_format(label_type: LabelType, config: PrintersConfig) -> None:
    rendered = render_zpl(make_label(label_type, "accents"), config.media[label_type], 203, copies=4)
    assert rendered.data.count(b"^XA") == 4 and rendered.data.count(b"^XZ") == 4
    assert rendered.data == first_format(rendered.data) * 4
    assert verify(rendered, all_copies=True).labels == 1


@pytest.mark.parametrize("label_type", list(LabelType))
def test_the_same_label_gives_the_same_bytes(label_type: LabelType, config: PrintersConfig) -> None:
    """The print compares its bytes with the previewed ones, so rendering must be deterministic."""
    label = make_label(label_type, "vietnamese")
    media = config.media[label_type]
    assert render_pdf(label, media).data == render_pdf(label, media).data
    assert render_zpl(label, media, 300).data == render_zpl(label, media, 300).data
