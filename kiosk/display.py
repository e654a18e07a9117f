"""How long a value read from the FHIR server may be on screen.

A FHIR server sends whatever is in the record: a name of 10,000 characters made a bed tile 10,087 px
tall. Every value shown is therefore bounded, by kind:

- a person's family name is an identifier: shown whole (smaller, wrapped) up to NAME_LIMIT, longer
  than any real one; past that it is not a name but a data error, and it is shown cut *and marked*
  ("name too long: check the record"), never silently;
- given names, alert text, reasons: whole up to their limit, then cut with "…";
- place names (beds, rooms, units): PLACE_LIMIT, then "…".

Views that build view objects (the bed board) bound there; templates that show records directly
(labels, audit) use the Jinja filters registered by `register`. Printing never uses these: a label
whose identifier cannot be printed whole is refused (docs/decisions.md).
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

ELLIPSIS = "…"
#: The longest family (or given) name shown whole. Real ones stay far below (the longest on record
#: run to about 60 letters); past this the record holds a data error.
NAME_LIMIT = 100
#: Alert text, reasons, notes: whole up to this.
TEXT_LIMIT = 200
#: Bed, room and unit names.
PLACE_LIMIT = 60
TOO_LONG = "name too long: check the record"


def is_too_long(text: str | None, limit: int) -> bool:
    return text is not None and len(text) > limit


def bounded(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """`text` whole if it fits `limit` characters, else its start and '…' (limit characters in all)."""
    if text is None:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def last_first(family: str, given: tuple[str, ...] | list[str], family_upper: bool = True) -> str:
    """'FAMILY, Given Names' with each part bounded: the family name at NAME_LIMIT, the given names
    together at NAME_LIMIT."""
    fam = bounded(family.upper() if family_upper else family, NAME_LIMIT)
    giv = bounded(" ".join(given), NAME_LIMIT)
    return f"{fam}, {giv}" if fam and giv else fam or giv


def name_shown(text: str | None) -> Markup:
    """Jinja filter for a name as one string ('FAMILY, Given Names', as the records and the labels
    pages give it): the family name whole up to NAME_LIMIT, else cut and marked as too long; the
    given names up to NAME_LIMIT, then '…'."""
    if text is None:
        return Markup("")
    family, comma, given = text.partition(", ")
    shown = escape(bounded(family, NAME_LIMIT) + comma + bounded(given, NAME_LIMIT))
    if len(family) <= NAME_LIMIT:
        return shown
    return shown + Markup(' <span class="too-long">(') + escape(TOO_LONG) + Markup(")</span>")


def register(app: Flask) -> None:
    app.jinja_env.filters["bounded"] = bounded
    app.jinja_env.filters["name_shown"] = name_shown
