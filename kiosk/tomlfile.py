"""TOML settings files whose errors name the file and the line.

`tomllib` parses but keeps no positions, so a wrong value deep in a list of items could only be
reported by its key path. `read_toml` parses the file with `tomllib` (which decides what is valid
TOML) and then walks the same text once, noting the line where every key, table and array element
starts, so that `TomlFile.error(path, ...)` can say "config/par-levels.toml line 41: ...".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import PROJECT_ROOT, ConfigError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class TomlFile:
    path: Path
    text: str
    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The file as people know it: relative to the project when it lives there."""
        try:
            return str(self.path.resolve().relative_to(PROJECT_ROOT))
        except ValueError:
            return str(self.path)

    def line_of(self, path: KeyPath) -> int | None:
        """The line where `path` (keys and array indexes) starts, or that of its nearest parent."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """One sentence naming the file and the line: 'config/x.toml line 12: <message>'."""
        line = self.line_of(path)
        where = f"{self.name} line {line}" if line else self.name
        return ConfigError(f"{where}: {message}")


def read_toml(path: Path) -> TomlFile:
    """Parse a TOML file; a missing file or invalid TOML raises ConfigError naming the file."""
    if not path.is_file():
        raise ConfigError(f"Settings file {path} does not exist.")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}.") from None
    return TomlFile(path=path, text=text, data=data, lines=_KeyLines(text).scan())


class _KeyLines:
    """Walks TOML text that tomllib has already accepted, noting where each key path starts."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.found: dict[KeyPath, int] = {}
        self.array_tables: dict[KeyPath, int] = {}

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def note(self, path: KeyPath) -> None:
        self.found.setdefault(path, self.line)

    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.found
            if self.peek(2) == "[[":
                self.pos += 2
                name = tuple(self.keys("]"))
                self.pos += 2
                index = self.array_tables.get(name, -1) + 1
                self.array_tables[name] = index
                table = (*name, index)
                self.note(name)
                self.note(table)
            elif self.peek() == "[":
                self.pos += 1
                table = tuple(self.keys("]"))
                self.pos += 1
                self.note(table)
            else:
                self.key_value(table)

    def skip_blank(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            else:
                return

    def keys(self, stop: str) -> list[str]:
        """A dotted key, up to (not past) `stop`."""
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            ch = self.peek()
            if ch in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_-"):
                    self.pos += 1
                parts.append(self.text[start:self.pos])
            self.skip_blank(newlines=False)
            if self.peek() == ".":
                self.pos += 1
                continue
            if self.text.startswith(stop, self.pos):
                return parts
            self.pos += 1  # tolerate what tomllib accepted and this walk does not model

    def key_value(self, table: KeyPath) -> None:
        start = self.pos
        path = (*table, *self.keys("="))
        self.pos += 1
        self.found.setdefault(path, self.text.count("\n", 0, start) + 1)
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.pos += 1

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            if self.peek() == ",":
                self.pos += 1
                continue
            self.note((*path, index))
            self.value((*path, index))
            index += 1

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            if self.peek() == ",":
                self.pos += 1
                continue
            self.key_value(path)

    def string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.pos + 3)
            while self.text.startswith(quote, end + 3):
                end += 1
            value = self.text[self.pos + 3:end]
            self.pos = end + 3
            return value
        self.pos += 1
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] != quote:
            if quote == '"' and self.text[self.pos] == "\\":
                self.pos += 1
            self.pos += 1
        value = self.text[start:self.pos]
        self.pos += 1
        if quote == '"' and "\\" in value:
            value = tomllib.loads(f'v = "{value}"')["v"]
        return value
