"""Fitting text into a box: identifiers shrink (down to a readable minimum) and wrap at spaces (names also
after a hyphen, never a number), but are never shortened; a label that cannot hold one in full is refused. A
box with `instead` text prints that text when its own does not fit (alerts: never a partial list). Other text
is shortened visibly with an ellipsis. Right-to-left text is refused by a renderer that cannot set it.

Sizes are em sizes. Lines sit LINE_PITCH em apart, or further when their real ink is taller: the ink of
every line, with stacked marks above capitals (Ễ, Ậ) and marks below the baseline (ị), never reaches
into the next line nor out of its box. Text that does not fit so is set smaller, and refused when even
its smallest size does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from .errors import DoesNotFit, UnprintableText
from .fonts import can_draw, can_shape, normalized, right_to_left
from .layout import TextBox

#: Line pitch as a multiple of the em size.
LINE_PITCH = 1.12
#: Size steps tried, as a fraction of the preferred size.
SHRINK_STEP = 0.04
#: Inner margins of an inverse (white on black) box: left and right, top and bottom.
INVERSE_PAD = 0.6
INVERSE_VPAD = 0.25
ELLIPSIS = "…"
_EPS = 1e-9

Measure = Callable[[str, float], float]


class TextMetrics(Protocol):
    """How a renderer measures text, in the layout's units (mm) for an em size in the same units."""

    def width(self, text: str, size: float) -> float:
        """How far the line reaches right of its origin."""
        ...

    def ink(self, text: str, size: float) -> tuple[float, float]:
        """(top, bottom) of the line's ink relative to its baseline; top is negative (above)."""
        ...

    def ascent(self, size: float) -> float:
        """The font's ascent: where the baseline sits below the top of a line's slot by default."""
        ...

    #: Does this renderer set right-to-left text in reading order with Arabic letters joined?
    shapes_right_to_left: bool


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    size: float
    baseline: float = 0.0  # of the first line, below the box's top
    pitch: float = 0.0  # from one line's baseline to the next
    shortened: bool = False
    replaced: bool = False  # the box's `instead` text is printed in place of its own

    def baseline_of(self, line: int) -> float:
        return self.baseline + line * self.pitch


def pieces(text: str, at_hyphens: bool) -> list[tuple[str, str]]:
    """Where a line may break, as (piece, what joins it to the piece before): at each space (dropped at a break)
    and, with `at_hyphens`, after a hyphen followed by a letter (the hyphen stays at the end of the line). Joined
    back, the pieces are the text exactly."""
    out = []
    for i, word in enumerate(text.split(" ")):
        chunks = re.split(r"(?<=-)(?=[^-])", word) if at_hyphens else [word]
        out.extend((chunk, (" " if i else "") if j == 0 else "") for j, chunk in enumerate(chunks))
    return out


def _wrap(parts: list[tuple[str, str]], lines: int, width: float, size: float, measure: Measure) -> list[str] | None:
    """Greedy wrap of the pieces into at most `lines` lines of `width`; None when they do not fit."""
    out: list[str] = []
    current = ""
    for piece, joint in parts:
        candidate = f"{current}{joint}{piece}" if current else piece
        if measure(candidate, size) <= width:
            current = candidate
            continue
        if not current or measure(piece, size) > width:
            return None
        out.append(current)
        current = piece
        if len(out) >= lines:
            return None
    if current:
        out.append(current)
    return out if len(out) <= lines else None


def _sizes(box: TextBox) -> list[float]:
    sizes = []
    size = box.size
    while size >= box.min_size - _EPS:
        sizes.append(size)
        size -= box.size * SHRINK_STEP
    if not sizes or sizes[-1] > box.min_size:
        sizes.append(box.min_size)
    return sizes


def place(box: TextBox, lines: list[str], size: float, metrics: TextMetrics) -> tuple[float, float] | None:
    """(first baseline below the box's top, pitch) such that no line's ink reaches into the next line's
    and all of it stays inside the box (inside the margin of an inverse box); None when it is too tall."""
    inks = [metrics.ink(line, size) for line in lines]
    n = len(lines)
    pitch = max([size * LINE_PITCH] + [inks[i][1] - inks[i + 1][0] for i in range(n - 1)])
    top, bottom = inks[0][0], (n - 1) * pitch + inks[-1][1]  # of the block, from the first baseline
    if box.inverse:
        if bottom - top > box.h - 2 * INVERSE_VPAD + _EPS:
            return None
        return (box.h - (bottom - top)) / 2 - top, pitch
    if bottom - top > box.h + _EPS:
        return None
    return min(max(metrics.ascent(size), -top), box.h - bottom), pitch


def inner_width(box: TextBox) -> float:
    return box.w - 2 * INVERSE_PAD if box.inverse else box.w


def _fit_whole(box: TextBox, text: str, metrics: TextMetrics) -> FittedText | None:
    words = pieces(text, box.break_at_hyphens)
    width = inner_width(box)
    for size in _sizes(box):
        for lines in range(1, box.max_lines + 1):
            if lines > 1 and lines * size * LINE_PITCH > box.h + _EPS:
                break
            wrapped = _wrap(words, lines, width, size, metrics.width)
            if wrapped is None:
                continue
            placed = place(box, wrapped, size, metrics)
            if placed is not None:
                return FittedText(tuple(wrapped), size, *placed)
            break  # as wide as it needs to be but too tall: more lines will not help, a smaller size may
    return None


def _shorten(box: TextBox, text: str, metrics: TextMetrics) -> FittedText | None:
    width = inner_width(box)
    for size in _sizes(box):
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if metrics.width(text[:mid].rstrip() + ELLIPSIS, size) <= width:
                low = mid
            else:
                high = mid - 1
        line = text[:low].rstrip() + ELLIPSIS
        placed = place(box, [line], size, metrics)
        if low and placed is not None:
            return FittedText((line,), size, *placed, shortened=True)
    return None


def fit_text(box: TextBox, metrics: TextMetrics, label_name: str = "this label") -> FittedText:
    """Fit `box.text` into the box (sizes and widths in the units `metrics` uses)."""
    text = normalized(box.text)
    if not text:
        return FittedText((), box.size)
    if right_to_left(text) and not (metrics.shapes_right_to_left and can_shape()):
        raise UnprintableText(
            f"The {box.subject} is written right to left (Hebrew or Arabic), and this kiosk cannot set it in the "
            "right order with its letters joined (its Pillow has no libraqm). Nothing was printed; call the help "
            "desk."
        )
    if not can_draw(text):
        raise UnprintableText(
            f"The {box.subject} contains characters that the label font cannot print (it has Latin letters, "
            "Vietnamese included, and Greek and Cyrillic). Nothing was printed; check the record, or call the "
            "help desk."
        )
    fitted = _fit_whole(box, text, metrics)
    if fitted is not None:
        return fitted
    if box.identifier:
        raise DoesNotFit(
            f"The {box.identifier} is too long to print in full on {label_name}, and an identifier is never "
            "shortened. Nothing was printed; use a larger label stock or correct the record."
        )
    if box.instead:
        instead = fit_text(replace(box, text=box.instead, identifier=box.subject, instead=None), metrics, label_name)
        return replace(instead, replaced=True)
    shortened = _shorten(box, text, metrics)
    if shortened is None:
        raise DoesNotFit(f"The {box.subject} does not fit on {label_name}; nothing was printed.")
    return shortened
