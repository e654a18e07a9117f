"""View objects for the supplies screens, built from the kiosk's database and (for the reorders'
status) one FHIR search. The count screen and the home alert read the database only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kiosk import timeutil
from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.scheduler import requests
from kiosk.scheduler.lease import LeaseHolder, current_holder
from kiosk.scheduler.models import JobRequest, RequestStatus

from .check import last_check
from .config import SuppliesConfig, SupplyLocation
from .counts import current_stock, location_stock
from .fhir import OPEN_STATUSES, STATUS_LABELS, read_by_ids, reorder_route
from .models import CheckOutcome, ReorderResult, SupplyReorder
from .stock import ItemStock, StockState

JOB = "supply-check"

OUTCOME_LABELS = {
    CheckOutcome.SENT: "Reorders sent",
    CheckOutcome.NOTHING_DUE: "Nothing to reorder",
    CheckOutcome.NOT_SENT: "Reorders not sent",
    CheckOutcome.FAILED: "Check failed",
    CheckOutcome.UNKNOWN: "Not known whether sent",
}


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- count screen


@dataclass(frozen=True)
class CountRow:
    stock: ItemStock
    field_index: int
    value: str = ""
    error: str | None = None


@dataclass(frozen=True)
class CountScreen:
    location: SupplyLocation
    rows: list[CountRow]
    stale_after_hours: float
    problem: str | None = None
    last_counted_at: datetime | None = None
    last_counted_by: str | None = None
    #: Bin codes of the unit's other locations -> [location code, location name], so that a scan of
    #: another location's bin can say where it belongs.
    other_bins: dict[str, list[str]] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.error)


def count_screen(config: SuppliesConfig, database: Database, location: SupplyLocation, *,
                 typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 problem: str | None = None, now: datetime | None = None) -> CountScreen:
    stock = location_stock(database, config, location, now or _now())
    typed, errors = typed or {}, errors or {}
    rows = [CountRow(stock=s, field_index=n, value=typed.get(s.item.code, ""), error=errors.get(s.item.code))
            for n, s in enumerate(stock)]
    counted = [s.last for s in stock if s.last]
    newest = max(counted, key=lambda c: c.counted_at) if counted else None
    other_bins = {item.bin: [loc.code, loc.name] for loc, item in config.par.pairs()
                  if item.bin and loc.code != location.code}
    return CountScreen(location=location, rows=rows, problem=problem, other_bins=other_bins,
                       stale_after_hours=config.settings.stale_after.total_seconds() / 3600,
                       last_counted_at=newest.counted_at if newest else None,
                       last_counted_by=newest.counted_by if newest else None)


# ---------------------------------------------------------------- supplies page


@dataclass(frozen=True)
class LocationSummary:
    location: SupplyLocation
    stock: list[ItemStock]

    def _with(self, *states: StockState) -> int:
        return sum(1 for s in self.stock if s.state in states)

    @property
    def due(self) -> int:
        return self._with(StockState.ZERO, StockState.REORDER)

    @property
    def zero(self) -> int:
        return self._with(StockState.ZERO)

    @property
    def stale(self) -> int:
        return self._with(StockState.STALE)

    @property
    def never(self) -> int:
        return self._with(StockState.NEVER_COUNTED)

    @property
    def last_counted_at(self) -> datetime | None:
        times = [s.last.counted_at for s in self.stock if s.last]
        return max(times) if times else None


@dataclass(frozen=True)
class LastCheckView:
    at: datetime
    trigger: str
    requested_by: str | None
    outcome: str
    summary: str
    problem: str | None

    @property
    def label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def tone(self) -> str:
        return {CheckOutcome.SENT: "ok", CheckOutcome.NOTHING_DUE: "ok", CheckOutcome.NOT_SENT: "warning"}.get(
            self.outcome, "error")

    @property
    def problem_words(self) -> str:
        """The problem's notice: only what the kiosk knows of the reorders."""
        if self.outcome == CheckOutcome.UNKNOWN:
            return f"Not known whether the reorders were sent; the next check looks. {self.problem}"
        return f"The reorders could not be sent: {self.problem}"


@dataclass(frozen=True)
class ReorderView:
    location_name: str
    description: str
    item_code: str
    quantity: int
    unit: str
    priority: str
    requested_at: datetime
    fhir_id: str
    status: str | None

    @property
    def status_label(self) -> str:
        if self.status is None:
            return "Status not available"
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ReordersView:
    rows: list[ReorderView] = field(default_factory=list)
    delivered: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class SuppliesPage:
    locations: list[LocationSummary]
    below_par: list[ItemStock]
    never_counted: list[ItemStock]
    last_check: LastCheckView | None
    reorders: ReordersView
    scheduler: LeaseHolder | None
    request: requests.RequestView | None
    stale_after_hours: float


def supplies_page(config: SuppliesConfig, database: Database, gateway: FhirGateway,
                  now: datetime | None = None) -> SuppliesPage:
    now = now or _now()
    stock = current_stock(database, config, now)
    locations = [LocationSummary(loc, [s for s in stock if s.location == loc]) for loc in config.par.locations]
    order = {StockState.ZERO: 0, StockState.REORDER: 1, StockState.STALE: 2, StockState.BELOW_PAR: 3}
    below = sorted((s for s in stock if s.below_par), key=lambda s: order.get(s.state, 9))
    check = last_check(database)
    last = LastCheckView(at=check.started_at, trigger=check.trigger, requested_by=check.requested_by,
                         outcome=check.outcome, summary=check.summary, problem=check.problem) if check else None
    return SuppliesPage(
        locations=locations, below_par=below,
        never_counted=[s for s in stock if s.state is StockState.NEVER_COUNTED],
        last_check=last, reorders=open_reorders(config, database, gateway, now),
        scheduler=current_holder(database, now), request=open_request(database),
        stale_after_hours=config.settings.stale_after.total_seconds() / 3600)


def open_reorders(config: SuppliesConfig, database: Database, gateway: FhirGateway,
                  now: datetime | None = None) -> ReordersView:
    """The reorders of the last days with their status read from the server in one search."""
    now = now or _now()
    since = timeutil.local_date(now) - timedelta(days=config.settings.open_reorder_days - 1)
    with database.session() as session:
        rows = session.scalars(
            select(SupplyReorder).where(SupplyReorder.day >= since, SupplyReorder.fhir_id.is_not(None),
                                        SupplyReorder.result.in_((ReorderResult.CREATED, ReorderResult.EXISTING,
                                                                   ReorderResult.FOUND)))
            .order_by(SupplyReorder.id)
        ).all()
    latest: dict[str, SupplyReorder] = {}
    first_asked: dict[str, datetime] = {}
    for row in rows:
        latest[row.fhir_id] = row  # type: ignore[index]
        first_asked.setdefault(row.fhir_id, row.created_at)  # type: ignore[arg-type]
    if not latest:
        return ReordersView()
    statuses: dict[str, str | None] = dict.fromkeys(latest)
    problem = None
    try:
        route = reorder_route(gateway.capabilities, config.settings.unlisted_supply_request_servers)
        if route.can_read_by_id:
            found = read_by_ids(gateway, list(latest))
            statuses = {i: str(found[i].get("status")) if i in found else "missing" for i in latest}
        else:
            problem = route.reason
    except FhirError as e:
        problem = f"Their status on the FHIR server is not available: {e.message}"
    views = []
    delivered = 0
    for fhir_id, row in latest.items():
        status = statuses.get(fhir_id)
        if status == "completed":
            delivered += 1
            continue
        if status is not None and status not in OPEN_STATUSES and status != "missing":
            continue
        location = config.par.location(row.location_code)
        item = location.item(row.item_code) if location else None
        views.append(ReorderView(
            location_name=location.name if location else row.location_code,
            description=item.description if item else row.item_code, item_code=row.item_code,
            quantity=row.quantity, unit=item.unit if item else "", priority=row.priority,
            requested_at=first_asked[fhir_id], fhir_id=fhir_id,
            status=None if status == "missing" else status))
    views.sort(key=lambda v: (v.priority != "stat", v.requested_at))
    return ReordersView(rows=views, delivered=delivered, problem=problem)


def open_request(database: Database) -> requests.RequestView | None:
    """A run-now request for the supply check that is still waiting or running, if any."""
    with database.session() as session:
        request_id = session.scalars(
            select(JobRequest.id).where(JobRequest.job == JOB, JobRequest.status.in_(RequestStatus.OPEN))
            .order_by(JobRequest.id).limit(1)
        ).first()
    return requests.get(database, request_id) if request_id else None


# ---------------------------------------------------------------- home screen alert


@dataclass(frozen=True)
class ZeroAlert:
    items: list[ItemStock]

    @property
    def headline(self) -> str:
        n = len(self.items)
        return f"{n} supply item{'s' if n != 1 else ''} with none left"


def zero_alert(config: SuppliesConfig, database: Database, now: datetime | None = None) -> ZeroAlert | None:
    """Items whose last count is zero (a database read only: the home screen stays fast)."""
    stock = current_stock(database, config, now or _now())
    empty = [s for s in stock if s.count == 0]
    return ZeroAlert(empty) if empty else None
