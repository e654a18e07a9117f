"""The supply check: every item at or below its reorder point is reordered back to par, once a day.

Stale and missing counts are reported, never guessed from. When the server does not take
SupplyRequests, or cannot be reached, the check still runs, records what is due, and says why the
reorders were not sent; the next check (or a rerun) sends them, without duplicates.

Each reorder written is audited around its write (`AuditedWrites`): an intent committed before the
request that carries it is sent, its outcome (success, failure, unknown) written with the check's own
rows after. A scheduler killed in between leaves the intent open ("outcome unknown: check the record"),
never a SupplyRequest without an audit row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk import timeutil
from kiosk.audit.services import SYSTEM_ACTOR, append, append_intent, append_outcome
from kiosk.db import Database
from kiosk.fhir.errors import FhirError, FhirOutcomeUnknown, FhirUnavailable
from kiosk.fhir.gateway import FhirGateway

from .config import SuppliesConfig
from .counts import current_stock
from .fhir import Channel, ReorderPlan, SentReorder, plan_reorders, reorder_route, send_reorders
from .models import CheckOutcome, SupplyCheck, SupplyReorder
from .models import ReorderResult as StoredResult
from .stock import ItemStock, StockState


@dataclass(frozen=True)
class CheckReport:
    started_at: datetime
    finished_at: datetime
    outcome: str
    summary: str
    problem: str | None
    stock: list[ItemStock]
    plans: list[ReorderPlan] = field(default_factory=list)
    sent: list[SentReorder] = field(default_factory=list)
    check_id: int | None = None

    @property
    def due(self) -> list[ItemStock]:
        return [s for s in self.stock if s.reorder_due]

    def with_state(self, *states: StockState) -> list[ItemStock]:
        return [s for s in self.stock if s.state in states]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def summarize(stock: list[ItemStock], sent: list[SentReorder], problem: str | None, due: int) -> str:
    """One line for the log and the supplies page: counts only, no names."""
    parts = [f"Checked {_plural(len(stock), 'item')}: "
             + (f"{due} at or below reorder point" if due else "none at or below reorder point")]
    if due and problem:
        parts.append(f"reorders not sent: {problem.rstrip('.')}")
    elif due:
        created = sum(1 for s in sent if s.result == "created")
        existing = len(sent) - created
        parts.append(f"{_plural(created, 'reorder')} sent" + (f", {existing} already sent today" if existing else ""))
    stale = sum(1 for s in stock if s.state is StockState.STALE)
    never = sum(1 for s in stock if s.state is StockState.NEVER_COUNTED)
    unknown = [f"{stale} with a stale count" if stale else "", f"{never} never counted" if never else ""]
    if stale or never:
        parts.append("not reordered: " + ", ".join(x for x in unknown if x))
    return "; ".join(parts) + "."


class AuditedWrites:
    """The check's reorder writes in the audit trail (`kiosk.supplies.fhir.ReorderWrites`): one intent per
    reorder, committed in its own transaction before the request that writes it is sent; the outcomes
    are appended by `_record`, in the check's transaction."""

    def __init__(self, database: Database, station: str, named: bool):
        self.database = database
        self.station = station
        #: The reorders' ids are known before the write (the client-id channel): the intent names them.
        self.named = named
        #: Intent id by reorder identifier, for every reorder a request was about to write.
        self.intents: dict[str, int] = {}
        #: What the server answered it wrote, by reorder identifier.
        self.written: dict[str, SentReorder] = {}
        #: Why the writes without an answer ended (the audit outcome and detail), once one raised.
        self.failed: tuple[str, str] | None = None

    def before(self, plans: list[ReorderPlan]) -> None:
        with self.database.session() as session:
            for plan in plans:
                row = append_intent(session, station=self.station, actor=SYSTEM_ACTOR, action="fhir-write",
                                    entity=f"SupplyRequest/{plan.resource_id}" if self.named else None,
                                    detail=f"reorder {plan.identifier}")
                self.intents[plan.identifier] = row.id

    def after(self, sent: list[SentReorder]) -> None:
        self.written.update((s.plan.identifier, s) for s in sent)

    def failure(self, error: FhirError) -> None:
        """The write that raised: refused (failure) only when the server answered so or nothing left the
        kiosk; otherwise it may have been saved (unknown)."""
        if isinstance(error, FhirOutcomeUnknown):
            outcome = "unknown"
        elif isinstance(error, FhirUnavailable):
            outcome = "unknown" if error.sent else "failure"
        elif error.status is not None and error.status >= 500:
            outcome = "unknown"  # a server error may leave part of a transaction behind
        else:
            outcome = "failure"
        self.failed = (outcome, error.message)

    def close(self, session: Session) -> None:
        """Append each intent's outcome (in the check's transaction)."""
        for identifier, intent_id in self.intents.items():
            done = self.written.get(identifier)
            if done is not None:
                words = "created" if done.result == "created" else "already on the server, nothing written"
                append_outcome(session, intent_id, "success", entity=f"SupplyRequest/{done.fhir_id}",
                               detail=f"reorder {identifier}: {words}")
            else:
                outcome, why = self.failed or ("unknown", "no answer recorded")
                append_outcome(session, intent_id, outcome, detail=f"reorder {identifier}: {why}")


def run_check(config: SuppliesConfig, *, database: Database, gateway: FhirGateway, station: str,
              now: datetime | None = None, trigger: str = "schedule", requested_by: str | None = None) -> CheckReport:
    started = now or datetime.now(UTC)
    stock = current_stock(database, config, started)
    due = [s for s in stock if s.reorder_due]
    day = timeutil.local_date(started)
    plans = plan_reorders(config, due, day)
    sent: list[SentReorder] = []
    problem: str | None = None
    outcome = CheckOutcome.NOTHING_DUE
    writes: AuditedWrites | None = None
    if plans:
        try:
            route = reorder_route(gateway.capabilities, config.settings.unlisted_supply_request_servers)
            if route.channel is None:
                problem, outcome = route.reason, CheckOutcome.NOT_SENT
            else:
                writes = AuditedWrites(database, station, named=route.channel is Channel.CLIENT_ID)
                sent = send_reorders(gateway, config, route, plans, started, writes)
                outcome = CheckOutcome.SENT
        except FhirError as e:
            problem, outcome = e.message, CheckOutcome.FAILED
            if writes is not None:
                writes.failure(e)
    finished = datetime.now(UTC) if now is None else started
    report = CheckReport(started_at=started, finished_at=finished, outcome=outcome,
                         summary=summarize(stock, sent, problem, len(plans)), problem=problem, stock=stock,
                         plans=plans, sent=sent)
    return _record(database, report, trigger, requested_by, day, station, writes)


def _detail(report: CheckReport) -> str:
    sent = {s.plan.stock.key: s for s in report.sent}
    rows = []
    for stock in report.stock:
        if stock.state is StockState.AT_PAR or stock.state is StockState.BELOW_PAR:
            continue
        action = "reported"
        if stock.reorder_due:
            done = sent.get(stock.key)
            action = done.result if done else ("not-sent" if report.outcome == CheckOutcome.NOT_SENT else "failed")
        rows.append({"location": stock.location.code, "item": stock.item.code, "count": stock.count,
                     "state": str(stock.state), "action": str(action)})
    return json.dumps(rows)


def _record(database: Database, report: CheckReport, trigger: str, requested_by: str | None, day: date,
            station: str, writes: AuditedWrites | None) -> CheckReport:
    """The check, its reorders and their audit outcomes (the intents are in already), in one database
    transaction."""
    sent = {s.plan.identifier: s for s in report.sent}
    with database.session() as session:
        check = SupplyCheck(started_at=report.started_at, finished_at=report.finished_at, trigger=trigger,
                            requested_by=requested_by, outcome=report.outcome, summary=report.summary[:500],
                            problem=(report.problem or None) and report.problem[:500], detail=_detail(report))
        session.add(check)
        session.flush()
        for plan in report.plans:
            done = sent.get(plan.identifier)
            if done:
                result = done.result.value
            elif report.outcome == CheckOutcome.NOT_SENT:
                result = StoredResult.NOT_SENT
            else:
                result = StoredResult.FAILED
            session.add(SupplyReorder(check_id=check.id, day=day, location_code=plan.stock.location.code,
                                      item_code=plan.stock.item.code, quantity=plan.quantity, priority=plan.priority,
                                      identifier=plan.identifier, fhir_id=done.fhir_id if done else None,
                                      result=result, created_at=report.started_at))
        if writes is not None:
            writes.close(session)
        append(session, station=station, actor=SYSTEM_ACTOR, action="supply-check",
               outcome="failure" if report.outcome == CheckOutcome.FAILED else "success",
               detail=f"check #{check.id} ({trigger}): {report.summary}")
        check_id = check.id
    return replace(report, check_id=check_id)


def last_check(database: Database) -> SupplyCheck | None:
    with database.session() as session:
        return session.scalars(select(SupplyCheck).order_by(SupplyCheck.id.desc()).limit(1)).first()
