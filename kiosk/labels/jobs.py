"""Scheduled job: follow the jobs a printer has not confirmed yet to their end, send the print jobs that are due
again (nothing reached the printer), with backoff, and remove the label bytes of finished jobs after their
retention period.

Registered in kiosk/scheduler/registry.py and triggered per config/scheduler.toml (see README).
"""

from __future__ import annotations

from kiosk.scheduler.context import JobContext

from .models import naive_clock
from .printing import printers_config
from .queue import PrintQueue


def retry_print_queue(ctx: JobContext) -> str:
    """Mark jobs cut off mid-send for a person to check, ask the printers about jobs sent and not yet confirmed
    (printed, still waiting, or check the printer after retry.confirm_within_s), send each due job once (claimed
    first), and empty the label bytes of jobs finished longer ago than printers.toml's retention.label_bytes_days."""
    queue = PrintQueue(ctx.database, printers_config(ctx.settings), clock=naive_clock(ctx.clock))
    summary = queue.retry_due()
    if summary.due or summary.abandoned_claims or summary.purged or summary.followed:
        ctx.log.info(summary.line())
    return summary.line()
