"""What the find field takes for a name or a date of birth (kiosk.fhir.patients.parse_name_query)."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.fhir.patients import NameQuery, folded, parse_name_query


@pytest.mark.parametrize(("typed", "expected"), [
    ("SMITH, J", NameQuery("SMITH", "J")),
    ("smith j", NameQuery("smith", "J")),
    ("  O'NEIL ,  m. ", NameQuery("O'NEIL", "M")),
    ("Smith-Jones, Anna", NameQuery("Smith-Jones", "A")),
    ("van der Berg, a", NameQuery("van der Berg", "A")),
    ("Ó SÚILLEABHÁIN, Å", NameQuery("Ó SÚILLEABHÁIN", "Å")),
    ("ST. PIERRE, J", NameQuery("ST. PIERRE", "J")),  # as the board shows St. Pierre, Jean-Luc
    ("St.Pierre J", NameQuery("St.Pierre", "J")),
    ("1955-08-21", NameQuery(birth_date=date(1955, 8, 21))),
    ("8/21/1955", NameQuery(birth_date=date(1955, 8, 21))),
])
def test_names_and_dates_of_birth(typed: str, expected: NameQuery) -> None:
    assert parse_name_query(typed) == expected


@pytest.mark.parametrize("typed", [
    "SMITH",  # one word: may be an MRN, the scan decides
    "23700000", "E062300013", "MRN:1|ENC:2", "SMITH, ", ", J", "SMITH, 1", "1955-13-01", "02/30/1961",
    "SM1TH, J", "<script>, a", "", "SMITH., J", ".SMITH, J",
])
def test_what_is_not_a_name_or_a_date(typed: str) -> None:
    assert parse_name_query(typed) is None


def test_the_query_in_words() -> None:
    assert NameQuery("SMITH", "J").shown == "SMITH, J"
    assert NameQuery(birth_date=date(1961, 2, 3)).shown == "born 03 Feb 1961"


def test_a_patient_answers_the_query_as_the_servers_string_search_would() -> None:
    """What the board matches itself (kiosk.beds.services.find_by_name): the family name starts with what
    was typed, case and accents aside, and the first initial is the same; or the birth date is."""
    query = parse_name_query("nunez, r")
    assert query is not None
    born = date(1961, 2, 3)
    assert query.matches("Núñez", "R", born) and query.matches("NÚÑEZ-GARCÍA", "R", None)
    assert not query.matches("Núñez", "M", born) and not query.matches("Nunn", "R", born)
    assert not query.matches("", "R", born) and not query.matches("Ibáñez", "R", born)
    by_birth = parse_name_query("02/03/1961")
    assert by_birth is not None and by_birth.matches("Anyone", None, born) and not by_birth.matches("Núñez", "R", None)
    assert folded("Ó Súilleabháin") == "o suilleabhain" and folded("STRAßE") == "strasse"
    unaccented = parse_name_query("O SUILLEABHAIN, A")  # Åsa Ó Súilleabháin typed on a plain keyboard
    assert unaccented is not None and unaccented.matches("Ó Súilleabháin", "Å", None)
