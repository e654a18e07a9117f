"""kiosk.jsontext reads and writes what the standard library does, including what orjson refuses."""

from __future__ import annotations

import json
import math

import pytest

from kiosk import jsontext

BUNDLE = {
    "resourceType": "Bundle", "type": "searchset", "total": 1,
    "entry": [{"resource": {"resourceType": "Patient", "id": "p1", "meta": {"versionId": "3"},
                            "name": [{"family": "Nguyễn-O'Brien ^~<>&", "given": ["Zoë"]}],
                            "extension": [{"url": "http://example.org/x", "valueDecimal": 1.10}],
                            "multipleBirthInteger": 2}}],
}


def test_a_bundle_reads_the_same_as_with_the_standard_library() -> None:
    text = json.dumps(BUNDLE).encode("utf-8")
    assert jsontext.loads(text) == json.loads(text)
    assert jsontext.loads(text.decode("utf-8")) == BUNDLE


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_json_in_utf16_or_utf32_is_read(encoding: str) -> None:
    assert jsontext.loads(json.dumps(BUNDLE).encode(encoding)) == BUNDLE


def test_what_orjson_refuses_is_read_as_the_standard_library_reads_it() -> None:
    assert jsontext.loads(b'{"s": "\\ud800"}') == {"s": "\ud800"}
    assert math.isnan(jsontext.loads(b'{"x": NaN}')["x"])


def test_an_integer_beyond_64_bits_is_read_as_a_float() -> None:
    """The one difference from the standard library (FHIR integers are 32-bit)."""
    assert jsontext.loads(b'{"n": 18446744073709551615}') == {"n": 2**64 - 1}
    assert jsontext.loads(b'{"n": 123456789012345678901234567890}') == {"n": 1.2345678901234568e29}


def test_invalid_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        jsontext.loads(b'{"resourceType": ')


def test_writes_compact_text_that_reads_back_the_same() -> None:
    text = jsontext.dumps(BUNDLE)
    assert " " not in text.replace("O'Brien ^~<>&", "").replace("Nguyễn-", "")
    assert "Nguyễn" in text
    assert json.loads(text) == BUNDLE


def test_a_text_orjson_cannot_write_is_written_escaped() -> None:
    text = jsontext.dumps({"s": "\ud800", "big": 2**70})
    assert text == '{"s":"\\ud800","big":1180591620717411303424}'
    assert json.loads(text) == {"s": "\ud800", "big": 2**70}
