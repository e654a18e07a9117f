"""The paging job (kiosk/scheduler/registry.py, [jobs.paging] in config/scheduler.toml): send again the
messages whose server could not be reached, page again or page the backup when nobody answered, and
bring the FHIR server's record of each page up to date. The settings files are read afresh each run.

Each record written is audited around its write, as `kiosk.web.changes.carry_out` does for a screen:
the intent committed before the change is sent, the outcome after, so a scheduler killed in between
leaves "outcome unknown: check the record", never an unaudited write.
"""

from __future__ import annotations

from kiosk import secret_key
from kiosk.audit.services import SYSTEM_ACTOR, append, append_intent, append_outcome
from kiosk.config import ConfigError, Settings
from kiosk.fhir.change import Change, NotSeen, Outcome, Seen, send
from kiosk.scheduler.context import JobContext
from kiosk.web.changes import audit_words

from .models import Page, utcnow
from .oncall import ON_CALL_FILE, OnCall
from .recording import entity_of, pages_to_record, record_page
from .services import Paging
from .settings import PAGING_FILE, PagingConfig


def _files(settings: Settings) -> tuple[PagingConfig, OnCall]:
    config, on_call = PAGING_FILE.read(settings), ON_CALL_FILE.read(settings)
    backup = config.settings.backup_role
    if backup and on_call.role(backup) is None:
        raise ConfigError(f"{config.source}: backup_role {backup!r} is not a role in {on_call.source}.")
    return config, on_call


def preflight(settings: Settings) -> None:
    """At scheduler start: a wrong paging or on-call file stops start-up with its line."""
    _files(settings)


def run_paging(ctx: JobContext) -> str:
    config, on_call = _files(ctx.settings)
    station = ctx.settings.station.id
    service = Paging(ctx.database, config, secret_key(ctx.settings))
    delivery = service.outbox.retry_due()
    escalation = service.escalate(ctx.gateway, on_call)
    with ctx.database.session() as session:
        for page_id, what in escalation.events:
            append(session, station=station, actor=SYSTEM_ACTOR, action="page-escalated", entity=f"Page/{page_id}",
                   detail=f"page {page_id}: {what}"[:500], outcome="success" if "not" not in what else "failure")

    def record(change: Change, seen: Seen, page: Page) -> Outcome | None:
        with ctx.database.session() as session:
            intent_id = append_intent(session, station=station, actor=SYSTEM_ACTOR, action="fhir-write",
                                      patient=page.patient_ref, entity=entity_of(page), detail=change.name).id
        try:
            outcome = send(ctx.gateway, change, seen)
        except NotSeen:
            result, detail, outcome = "failure", f"{change.name}: versions last written not known, nothing sent", None
        else:
            result, detail = audit_words(outcome, change)
        with ctx.database.session() as session:
            append_outcome(session, intent_id, result, detail=detail)
        return outcome

    recorded = 0
    for page_id in pages_to_record(ctx.database, utcnow()):
        recorded += record_page(ctx.gateway, ctx.database, page_id, config.settings, record).complete
    line = f"{delivery.line()}; {escalation.line()}; {recorded} page records brought up to date"
    if delivery.due or delivery.abandoned_claims or escalation.events or recorded:
        ctx.log.info(line)
    return line
