"""The supply check: every item at or below its reorder point is reordered back to par, once a day.

Stale and missing counts are reported, never guessed from. When the server does not take
SupplyRequests, or cannot be reached, the check still runs, records what is due, and says why the
reorders were not sent; the next check (or a rerun) sends them, without duplicates.

Each reorder written is audited around its write (`AuditedWrites`): an intent committed before the
request that carries it is sent, its outcome (success, failure, unknown) written with the check's own
rows after. A scheduler killed in between leaves the intent open ("outcome unknown: check the record"),
never a SupplyRequest without an audit row.

A write whose answer was lost (or that met a server error, which may leave part of it behind) is settled by
reading the server again, in one request (`find_reorders`): a reorder found there is reported as on the
server, one not found as not sent. When that read fails too, the check claims only what it knows: "not known
whether sent; the next check looks" (it does: the reorders' ids and identifiers make it find what exists).
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
from .fhir import (
    Channel,
    ReorderPlan,
    ReorderResult,
    ReorderRoute,
    SentReorder,
    find_reorders,
    plan_reorders,
    reorder_route,
    send_reorders,
)
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


def summarize(stock: list[ItemStock], sent: list[SentReorder], problem: str | None, due: int,
              unknown: int = 0) -> str:
    """One line for the log and the supplies page: counts only, no names. `unknown`: reorders sent whose
    answer was lost and that the server could not be asked about again."""
    parts = [f"Checked {_plural(len(stock), 'item')}: "
             + (f"{due} at or below reorder point" if due else "none at or below reorder point")]
    why = (problem or "").rstrip(".")
    if due and problem and unknown == due:
        parts.append(f"not known whether the reorders were sent ({why}); the next check looks")
    elif due and problem and not sent and not unknown:
        parts.append(f"reorders not sent: {why}")
    elif due:
        created = sum(1 for s in sent if s.result == ReorderResult.CREATED)
        existing = sum(1 for s in sent if s.result == ReorderResult.EXISTING)
        found = sum(1 for s in sent if s.result == ReorderResult.FOUND)
        not_sent = due - len(sent) - unknown
        known = not (found or unknown or (not_sent and problem))
        words = [f"{_plural(created, 'reorder')} sent" if created or known else "",
                 f"{existing} already sent today" if existing else "",
                 f"{found} on the server (read again after the server's answer was lost)" if found else "",
                 f"{unknown} not known whether sent ({why}); the next check looks" if unknown else "",
                 f"{not_sent} not sent: {why}" if not_sent and problem else ""]
        parts.append(", ".join(w for w in words if w))
    stale = sum(1 for s in stock if s.state is StockState.STALE)
    never = sum(1 for s in stock if s.state is StockState.NEVER_COUNTED)
    unknown_counts = [f"{stale} with a stale count" if stale else "", f"{never} never counted" if never else ""]
    if stale or never:
        parts.append("not reordered: " + ", ".join(x for x in unknown_counts if x))
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
        self.plans: dict[str, ReorderPlan] = {}
        #: What the server answered it wrote, by reorder identifier.
        self.written: dict[str, SentReorder] = {}
        #: Why the writes without an answer ended (the audit outcome and detail), once one raised.
        self.failed: tuple[str, str] | None = None
        #: After an unknown outcome: the server read again (`look_again`), and what it holds of those writes.
        self.looked = False
        self.found: dict[str, SentReorder] = {}

    def before(self, plans: list[ReorderPlan]) -> None:
        self.plans.update((p.identifier, p) for p in plans)
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

    def unanswered(self) -> list[ReorderPlan]:
        """The reorders a request carried that the server did not answer for."""
        return [plan for identifier, plan in self.plans.items() if identifier not in self.written]

    def look_again(self, gw: FhirGateway, config: SuppliesConfig, route: ReorderRoute) -> None:
        """After a write that may have been saved: read the server once for the reorders it carried. A read
        that fails leaves them unknown."""
        if self.failed is None or self.failed[0] != "unknown" or not self.unanswered():
            return
        try:
            found = find_reorders(gw, config, route, self.unanswered())
        except FhirError:
            return
        self.looked = True
        self.found = {s.plan.identifier: s for s in found}

    def result(self, plan: ReorderPlan) -> str:
        """What the check can say of one reorder it planned (models.ReorderResult)."""
        done = self.written.get(plan.identifier) or self.found.get(plan.identifier)
        if done is not None:
            return done.result.value
        if plan.identifier in self.intents and not self.looked and self.failed and self.failed[0] == "unknown":
            return StoredResult.UNKNOWN
        return StoredResult.FAILED

    def close(self, session: Session) -> None:
        """Append each intent's outcome (in the check's transaction)."""
        for identifier, intent_id in self.intents.items():
            done = self.written.get(identifier)
            found = self.found.get(identifier)
            if done is not None:
                words = "created" if done.result == "created" else "already on the server, nothing written"
                append_outcome(session, intent_id, "success", entity=f"SupplyRequest/{done.fhir_id}",
                               detail=f"reorder {identifier}: {words}")
            elif found is not None:
                append_outcome(session, intent_id, "success", entity=f"SupplyRequest/{found.fhir_id}",
                               detail=f"reorder {identifier}: on the server, read again after the answer was lost")
            else:
                outcome, why = self.failed or ("unknown", "no answer recorded")
                if self.looked:
                    outcome, why = "failure", f"not on the server, read again after: {why}"
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
                writes.look_again(gateway, config, route)
                sent = [s for p in plans if (s := writes.written.get(p.identifier) or writes.found.get(p.identifier))]
    unknown = sum(1 for p in plans if writes.result(p) == StoredResult.UNKNOWN) if writes and problem else 0
    if problem and plans and len(sent) == len(plans):
        problem, outcome = None, CheckOutcome.SENT  # every reorder is on the server: read again, seen there
    elif unknown:
        outcome = CheckOutcome.UNKNOWN
    finished = datetime.now(UTC) if now is None else started
    report = CheckReport(started_at=started, finished_at=finished, outcome=outcome,
                         summary=summarize(stock, sent, problem, len(plans), unknown), problem=problem, stock=stock,
                         plans=plans, sent=sent)
    return _record(database, report, trigger, requested_by, day, station, writes)


def _result(report: CheckReport, plan: ReorderPlan, writes: AuditedWrites | None) -> str:
    """What the check says of one planned reorder (models.ReorderResult)."""
    done = next((s for s in report.sent if s.plan.identifier == plan.identifier), None)
    if done is not None:
        return done.result.value
    if report.outcome == CheckOutcome.NOT_SENT:
        return StoredResult.NOT_SENT
    return writes.result(plan) if writes is not None else StoredResult.FAILED


def _detail(report: CheckReport, writes: AuditedWrites | None) -> str:
    plans = {p.stock.key: p for p in report.plans}
    rows = []
    for stock in report.stock:
        if stock.state is StockState.AT_PAR or stock.state is StockState.BELOW_PAR:
            continue
        action = "reported"
        if stock.reorder_due:
            plan = plans.get(stock.key)
            action = _result(report, plan, writes) if plan else StoredResult.FAILED
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
                            problem=(report.problem or None) and report.problem[:500], detail=_detail(report, writes))
        session.add(check)
        session.flush()
        for plan in report.plans:
            done = sent.get(plan.identifier)
            result = _result(report, plan, writes)
            session.add(SupplyReorder(check_id=check.id, day=day, location_code=plan.stock.location.code,
                                      item_code=plan.stock.item.code, quantity=plan.quantity, priority=plan.priority,
                                      identifier=plan.identifier, fhir_id=done.fhir_id if done else None,
                                      result=result, created_at=report.started_at))
        if writes is not None:
            writes.close(session)
        append(session, station=station, actor=SYSTEM_ACTOR, action="supply-check",
               outcome="failure" if report.outcome in (CheckOutcome.FAILED, CheckOutcome.UNKNOWN) else "success",
               detail=f"check #{check.id} ({trigger}): {report.summary}")
        check_id = check.id
    return replace(report, check_id=check_id)


def last_check(database: Database) -> SupplyCheck | None:
    with database.session() as session:
        return session.scalars(select(SupplyCheck).order_by(SupplyCheck.id.desc()).limit(1)).first()
