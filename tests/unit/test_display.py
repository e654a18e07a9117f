"""Bounds for values from the FHIR server on screen (kiosk.display) and on the bed board's tiles."""

from __future__ import annotations

from kiosk.display import NAME_LIMIT, bounded, last_first, name_shown


def test_text_is_whole_up_to_its_limit_then_cut_with_an_ellipsis() -> None:
    assert bounded("Latex", 10) == "Latex"
    assert bounded("a" * 10, 10) == "a" * 10
    assert bounded("a" * 11, 10) == "a" * 9 + "…" and len(bounded("b" * 10_000, 10)) == 10
    assert bounded(None) == ""


def test_a_family_name_is_whole_up_to_the_limit_and_marked_past_it() -> None:
    long_real = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF-KEIHANAIKUKAUAKAHIHULIHEEKAHAUNAELE"
    assert name_shown(f"{long_real}, Ann") == f"{long_real}, Ann"
    shown = name_shown("X" * 10_000 + ", Ann")
    assert shown.startswith("X" * (NAME_LIMIT - 1) + "…, Ann") and "name too long: check the record" in shown
    many_given = name_shown("LEE, " + " ".join(["Ab"] * 3000))
    assert many_given.startswith("LEE, Ab Ab") and len(many_given) <= 5 + NAME_LIMIT and "too long" not in many_given
    assert name_shown("<b>O'Neil</b>, Ann") == "&lt;b&gt;O&#39;Neil&lt;/b&gt;, Ann"  # still escaped


def test_last_first_bounds_each_part() -> None:
    assert last_first("García-López", ("María", "José")) == "GARCÍA-LÓPEZ, María José"
    family, given = last_first("x" * 500, ("y" * 500,)).split(", ")
    assert len(family) == len(given) == NAME_LIMIT and family.endswith("…")
