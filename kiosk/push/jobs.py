"""Scheduled job: keep the kiosk's rest-hook Subscriptions on the FHIR server as the settings say
(kiosk.fhir.subscriptions). Registered in kiosk/scheduler/registry.py, scheduled in config/scheduler.toml."""

from __future__ import annotations

from kiosk.fhir.subscriptions import keep_subscribed, offers_subscriptions
from kiosk.scheduler.context import JobContext, JobFailed

from .services import authorization_header


def keep_push_subscriptions(ctx: JobContext) -> str:
    """Create the missing subscriptions, ask again for those the server turned off (after failed
    deliveries), turn off those no longer wanted. Without them the census-check job's schedule is all."""
    from kiosk import secret_key

    push = ctx.settings.push
    if not push.notify_url:
        return "No subscriptions: push.notify_url is empty; the census-check job looks on its schedule"
    why_not = offers_subscriptions(ctx.gateway.capabilities)
    if why_not:
        return f"No subscriptions: {why_not}; the census-check job looks on its schedule"
    report = keep_subscribed(ctx.gateway, push.notify_url, authorization_header(secret_key(ctx.settings)),
                             push.criteria_list)
    if report.failed:
        raise JobFailed(report.summary())
    if report.requested or report.turned_off:
        ctx.log.info(report.summary())
    return report.summary()
