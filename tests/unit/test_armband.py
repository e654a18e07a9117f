"""What an armband scan may be: an MRN or encounter number, or the kiosk's own armband Data Matrix."""

from __future__ import annotations

import pytest

from kiosk.armband import ScanCode, parse_scan
from printers.layout import datamatrix_content


def test_the_kiosks_own_armband_data_matrix_is_a_scan() -> None:
    payload = datamatrix_content("20000074", "610000013")  # exactly what the armband's 2D symbol holds
    assert parse_scan(payload) == ScanCode(payload, mrn="20000074", encounter="610000013")
    assert parse_scan(payload).shown == "MRN 20000074, encounter 610000013"


@pytest.mark.parametrize("text", ["20000074", " E-610000013 ", "4W.123"])
def test_a_plain_number_is_a_scan(text: str) -> None:
    assert parse_scan(text) == ScanCode(text.strip())


@pytest.mark.parametrize("text", ["<script>", "MRN:|ENC:1234", "MRN:20000074|ENC:6100|X", "ab", "MRN:1 2|ENC:345"])
def test_anything_else_is_not(text: str) -> None:
    assert parse_scan(text) is None
