"""The station's barcode scanners, as the page must know them to tell a scan from typing.

A keyboard-wedge scanner types what it reads. Programmed as a hospital programs them, it frames every code
with a prefix and a suffix, and may begin the code with its AIM symbology identifier (]C0 Code 128, ]d2 Data
Matrix, ]Q3 QR Code ...). Settings [scanner] in config/kiosk.toml say how this station's scanners are
programmed, written as scanner manuals write them: characters, and ASCII control characters by their
names in angle brackets (<STX>, <CR>, <TAB>). This module turns them into the keys the browser sees
(a wedge types <STX> as Ctrl+B and <CR> as Enter), which the page's scanner.js looks for: by these keys,
never by how fast they come, it tells a scan from typing (docs/decisions.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: ASCII control characters by the names scanner manuals give them.
CONTROL_NAMES: dict[str, int] = {
    name: code for code, name in enumerate(
        ["NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
         "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS",
         "US"])
}
CONTROL_NAMES["TAB"] = 9
#: Control characters a keyboard wedge types as keys of their own rather than as Ctrl+letter.
NAMED_KEYS = {8: "Backspace", 9: "Tab", 10: "Enter", 13: "Enter", 27: "Escape"}
#: Ctrl+N, Ctrl+T and Ctrl+W are Chromium's own (new window, new tab, close tab): a page never sees them.
BROWSER_KEYS = {14: "SO", 20: "DC4", 23: "ETB"}
#: Literal angle brackets, since "<" opens a name.
LITERALS = {"LT": "<", "GT": ">"}
#: Keys that may not be part of a prefix: they edit, move or submit, and people type them all day.
EDITING_KEYS = ("Enter", "Tab", "Backspace", "Escape")


class ScannerSettingError(ValueError):
    """A prefix or suffix that cannot be read, or that a page could not tell from typing."""


def _control_key(code: int, written: str) -> str:
    if code in NAMED_KEYS:
        return NAMED_KEYS[code]
    if code in BROWSER_KEYS:
        raise ScannerSettingError(f"{written} reaches the browser as one of its own shortcuts, never the page; "
                                  "program the scanner with another character")
    if 1 <= code <= 26:
        return "Control+" + chr(ord("a") + code - 1)
    raise ScannerSettingError(f"{written} cannot be typed by a keyboard wedge as one key the page can see")


def parse_keys(text: str) -> tuple[str, ...]:
    """The keys a wedge types for `text`: "<STX>]" -> ("Control+b", "]"), "<CR>" -> ("Enter",).

    Raises ScannerSettingError for an unknown <NAME>, a stray "<", or a character no page can see."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            end = text.find(">", i)
            name = text[i + 1:end].upper() if end > i else ""
            if name in LITERALS:
                keys.append(LITERALS[name])
            elif name in CONTROL_NAMES:
                keys.append(_control_key(CONTROL_NAMES[name], f"<{name}>"))
            else:
                written = text[i:end + 1] if end > i else "<"
                raise ScannerSettingError(f"{written!r} is not a control character name such as <STX> or <CR> "
                                          "(write a literal < as <LT>)")
            i = end + 1
            continue
        code = ord(char)
        if code < 32:
            keys.append(_control_key(code, f"character {code}"))
        elif code == 127:
            raise ScannerSettingError("DEL cannot be typed by a keyboard wedge as one key the page can see")
        else:
            keys.append(char)
        i += 1
    return tuple(keys)


def check_prefix(keys: tuple[str, ...]) -> None:
    """A prefix must never be what a person types: no editing keys, and it begins with a control character
    or is at least two characters that are not letters, digits or spaces."""
    if not keys:
        return
    if any(k in EDITING_KEYS for k in keys):
        raise ScannerSettingError("a prefix may not contain <CR>, <LF>, <TAB>, <BS> or <ESC>: people type them")
    if keys[0].startswith("Control+"):
        return
    if len(keys) < 2 or any(k.isalnum() or k.isspace() for k in keys):
        raise ScannerSettingError("a prefix must begin with a control character such as <STX>, or be two or more "
                                  "characters that are not letters, digits or spaces")


def check_suffix(keys: tuple[str, ...]) -> None:
    if not keys:
        raise ScannerSettingError("a suffix is needed: it tells the page where a code ends (usually <CR>)")
    if len(keys) > 4:
        raise ScannerSettingError("a suffix is at most 4 characters")


@dataclass(frozen=True)
class ScannerKeys:
    """What base.html puts on <body> for scanner.js (data-scan-prefix, data-scan-suffix, data-scan-aim)."""

    prefix: tuple[str, ...]
    suffix: tuple[str, ...]
    aim_ids: bool

    @classmethod
    def of(cls, prefix: str, suffix: str, aim_ids: bool) -> ScannerKeys:
        """Read and check the settings; raises ScannerSettingError naming what is wrong."""
        prefix_keys, suffix_keys = parse_keys(prefix), parse_keys(suffix)
        check_prefix(prefix_keys)
        check_suffix(suffix_keys)
        return cls(prefix_keys, suffix_keys, aim_ids)

    @property
    def prefix_json(self) -> str:
        return json.dumps(list(self.prefix))

    @property
    def suffix_json(self) -> str:
        return json.dumps(list(self.suffix))
