"""TOML files whose errors name the line: the walk finds each key, table and array element."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError
from kiosk.tomlfile import read_toml

SAMPLE = '''# a comment with = and [brackets]
title = "x"  # trailing
[locations.SUPPLY]
name = "Supply room, \\"main\\""
kind = 'room'

[items]
SUPPLY = [
  { code = "1", description = "IV kit [a], {b}", par = 5 },
  { code = "2", description = 'b', par = -1 }, { code = "3", par = 2 },
]
"quoted key" = [1,
  2, 3]

[[jobs]]
name = "a"
[[jobs]]
cron = ["0 7 * * *",
        "0 19 * * *"]
[x]
a.b = { c = 1, d = { e = 2 } }
text = """
several "" lines
"""
after = 1
'''


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.toml"
    path.write_text(SAMPLE)
    return path


@pytest.mark.parametrize(("path", "line"), [
    (("title",), 2),
    (("locations", "SUPPLY"), 3),
    (("locations", "SUPPLY", "kind"), 5),
    (("items", "SUPPLY"), 8),
    (("items", "SUPPLY", 0, "par"), 9),
    (("items", "SUPPLY", 1, "par"), 10),
    (("items", "SUPPLY", 2, "code"), 10),
    (("items", "quoted key", 2), 13),
    (("jobs", 1, "cron", 1), 19),
    (("x", "a", "b", "d", "e"), 21),
    (("x", "after"), 25),
])
def test_every_key_path_has_its_line(sample: Path, path: tuple, line: int) -> None:
    assert read_toml(sample).line_of(path) == line


def test_an_unknown_path_falls_back_to_its_nearest_parent(sample: Path) -> None:
    assert read_toml(sample).line_of(("items", "SUPPLY", 1, "bin")) == 10


def test_error_is_one_sentence_with_file_and_line(sample: Path) -> None:
    error = read_toml(sample).error(("items", "SUPPLY", 1, "par"), "par must be at least 1.")
    assert isinstance(error, ConfigError)
    assert str(error) == f"{sample} line 10: par must be at least 1."


def test_invalid_toml_and_a_missing_file_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("a = [1,\nb = 2\n")
    with pytest.raises(ConfigError, match=r"bad.toml is not valid TOML: .*line"):
        read_toml(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        read_toml(tmp_path / "missing.toml")
