"""Numbers for the test data of one test process (one pytest-xdist worker, one FHIR server): every unit a
test builds takes its own block of MRNs and encounter numbers, so that no two builders ever make the same
patient (the demo loader's creates are conditional on those numbers: a second builder with the same block
would quietly get the first one's patients)."""

from __future__ import annotations

import itertools

#: MRNs and encounter numbers per block: far more than the largest unit a test builds.
BLOCK = 100_000

_blocks = itertools.count(1)


def next_block() -> int:
    """A number this process has not used before, for `DemoBuilder(first_number=next_block() * BLOCK)`;
    the demo hospital itself starts at 0."""
    return next(_blocks)
