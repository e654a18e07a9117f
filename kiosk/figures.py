"""Small statistics for the figures pages (call lights, transport, housekeeping)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.5 for the median as the middle or lower middle value, 0.9 for
    the 90th): always a value that really happened. None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
