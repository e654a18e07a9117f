"""JSON text in and out, fast where it is read most: the FHIR server's answers and the shared census.

orjson parses a FHIR Bundle about 1.5 times as fast as the standard library and writes the census
payload about 8 times as fast (figures in docs/benchmarks.md, "The kiosk's own time"). What it refuses is passed
to the standard library, so the kiosk reads and writes what it did before: JSON in UTF-16 or UTF-32
(RFC 8259 allows them on the way in), lone surrogates (`"\\ud800"`), NaN and Infinity. One difference:
a number written as an integer beyond 64 bits is read as a float (the standard library gives an int);
FHIR's integers are 32-bit, and its decimals are read as floats by both. Invalid JSON still raises
ValueError (json.JSONDecodeError).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: bytes | str) -> Any:
    """The JSON value of `text` (bytes in any encoding JSON allows, or str)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any) -> str:
    """`value` as compact JSON text (no spaces); non-ASCII characters as themselves, or escaped when the
    standard library writes it (a text orjson refuses, such as one holding a lone surrogate)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), check_circular=False)
