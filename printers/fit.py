"""Fitting text into a box: identifiers shrink (down to a readable minimum) and wrap at spaces, but are
never shortened; a label that cannot hold one in full is refused. Other text is shortened visibly with
an ellipsis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import DoesNotFit
from .layout import TextBox

#: Line pitch as a multiple of the character height.
LINE_PITCH = 1.12
#: Size steps tried, as a fraction of the preferred size.
SHRINK_STEP = 0.04

Measure = Callable[[str, float], float]


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    size: float
    shortened: bool = False


def _wrap(words: list[str], lines: int, width: float, size: float, measure: Measure) -> list[str] | None:
    """Greedy wrap of whole words into at most `lines` lines of `width`; None when they do not fit."""
    out: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if measure(candidate, size) <= width:
            current = candidate
            continue
        if not current or measure(word, size) > width:
            return None
        out.append(current)
        current = word
        if len(out) >= lines:
            return None
    if current:
        out.append(current)
    return out if len(out) <= lines else None


def _sizes(box: TextBox) -> list[float]:
    sizes = []
    size = box.size
    while size >= box.min_size - 1e-9:
        sizes.append(size)
        size -= box.size * SHRINK_STEP
    if not sizes or sizes[-1] > box.min_size:
        sizes.append(box.min_size)
    return sizes


def fit_text(box: TextBox, measure: Measure, ellipsis: str = "…", label_name: str = "this label") -> FittedText:
    """Fit `box.text` into the box (sizes and widths in the units `measure` uses)."""
    # Line breaks and tabs become spaces; runs of spaces (column gaps) are kept.
    text = "".join(" " if ch.isspace() else ch for ch in box.text).strip()
    if not text:
        return FittedText((), box.size)
    words = text.split(" ")
    for size in _sizes(box):
        for lines in range(1, box.max_lines + 1):
            if lines > 1 and lines * size * LINE_PITCH > box.h + 1e-9:
                break
            wrapped = _wrap(words, lines, box.w, size, measure)
            if wrapped is not None:
                return FittedText(tuple(wrapped), size)
    if box.identifier:
        raise DoesNotFit(
            f"The {box.identifier} is too long to print in full on {label_name}, and an identifier is never "
            "shortened. Nothing was printed; use a larger label stock or correct the record."
        )
    size = box.size
    if measure(text, size) <= box.w:
        return FittedText((text,), size)
    # Shorten the last line so the ellipsis shows that something was left out.
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid].rstrip() + ellipsis, size) <= box.w:
            low = mid
        else:
            high = mid - 1
    return FittedText((text[:low].rstrip() + ellipsis,), size, shortened=True)
