"""A keyboard-wedge barcode scanner driven through Playwright's keyboard: the keys a programmed scanner
types, at whatever pace the test (or a loaded machine) gives them."""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Page

#: The programming the test settings use (tests/conftest.py), the one docs/decisions.md recommends:
#: <STX> first, which a wedge types as Ctrl+B, and <CR> (Enter) last.
PREFIX = "<STX>"
PREFIX_KEYS = ("Control+b",)
SUFFIX_KEYS = ("Enter",)


def scan(page: Page, code: str, *, prefix: Sequence[str] = PREFIX_KEYS, suffix: Sequence[str] = SUFFIX_KEYS,
         delay: float = 0) -> None:
    """Type `code` as a scanner programmed with `prefix` and `suffix` does; `delay` ms between the code's keys."""
    for key in prefix:
        page.keyboard.press(key)
    page.keyboard.type(code, delay=delay)
    for key in suffix:
        page.keyboard.press(key)
