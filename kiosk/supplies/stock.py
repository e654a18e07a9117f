"""Where each item stands against its par level, from its last count. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .config import ParItem, ParLevels, SupplyLocation


class StockState(StrEnum):
    NEVER_COUNTED = "never-counted"
    STALE = "stale"
    ZERO = "zero"
    REORDER = "reorder"
    BELOW_PAR = "below-par"
    AT_PAR = "at-par"


STATE_LABELS = {
    StockState.NEVER_COUNTED: "Not counted",
    StockState.STALE: "Stale count",
    StockState.ZERO: "None left",
    StockState.REORDER: "To reorder",
    StockState.BELOW_PAR: "Below par",
    StockState.AT_PAR: "At par",
}


@dataclass(frozen=True)
class LastCount:
    quantity: int
    counted_at: datetime
    counted_by: str | None


@dataclass(frozen=True)
class ItemStock:
    location: SupplyLocation
    item: ParItem
    last: LastCount | None
    stale: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.location.code, self.item.code

    @property
    def count(self) -> int | None:
        return self.last.quantity if self.last else None

    @property
    def state(self) -> StockState:
        if self.last is None:
            return StockState.NEVER_COUNTED
        if self.stale:
            return StockState.STALE
        if self.last.quantity == 0:
            return StockState.ZERO
        if self.last.quantity <= self.item.reorder_point:
            return StockState.REORDER
        if self.last.quantity < self.item.par:
            return StockState.BELOW_PAR
        return StockState.AT_PAR

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def reorder_due(self) -> bool:
        """At or below the reorder point on a count that is not stale (a stale count is never guessed from)."""
        return self.state in (StockState.ZERO, StockState.REORDER)

    @property
    def reorder_quantity(self) -> int:
        """How many bring the count back to par."""
        return max(0, self.item.par - (self.count or 0))

    @property
    def priority(self) -> str:
        """SupplyRequest.priority: stat for an item at zero, routine otherwise."""
        return "stat" if self.count == 0 else "routine"

    @property
    def below_par(self) -> bool:
        return self.count is not None and self.count < self.item.par


def assess(par: ParLevels, last_counts: dict[tuple[str, str], LastCount], now: datetime,
           stale_after: timedelta) -> list[ItemStock]:
    """Every item of every location, in the par file's order."""
    oldest_fresh = now - stale_after
    stock = []
    for location, item in par.pairs():
        last = last_counts.get((location.code, item.code))
        stock.append(ItemStock(location=location, item=item, last=last,
                               stale=last is not None and last.counted_at < oldest_fresh))
    return stock


@dataclass(frozen=True)
class LocationBins:
    """Which bins of one supply location are below their reorder point, from their last counts: what
    another workflow asks before it calls a room ready. `known` is False for a location the par list
    does not have; an item never counted or counted too long ago is in `not_counted` (a stale count is
    never taken as stocked)."""

    code: str
    name: str
    known: bool
    below: tuple[str, ...] = ()
    not_counted: tuple[str, ...] = ()

    @property
    def stocked(self) -> bool:
        return self.known and not self.below and not self.not_counted


def location_bins(par: ParLevels, code: str, last_counts: dict[tuple[str, str], LastCount], now: datetime,
                  stale_after: timedelta) -> LocationBins:
    location = par.location(code)
    if location is None:
        return LocationBins(code, code, known=False)
    below, not_counted = [], []
    for stock in assess(ParLevels(par.source, (location,)), last_counts, now, stale_after):
        if stock.state in (StockState.NEVER_COUNTED, StockState.STALE):
            not_counted.append(stock.item.description)
        elif stock.count is not None and stock.count < stock.item.reorder_point:
            below.append(f"{stock.item.description} ({stock.count} of {stock.item.reorder_point})")
    return LocationBins(code, location.name, True, tuple(below), tuple(not_counted))
