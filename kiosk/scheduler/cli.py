"""`kiosk scheduler`: run the scheduler; `kiosk scheduler jobs` and `kiosk scheduler ask <job>`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kiosk.cli_context import KioskContext, pass_kiosk

EXIT_REFUSED = 3


@click.group(invoke_without_command=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Schedule file (default: KIOSK_SCHEDULER_CONFIG or config/scheduler.toml).")
@click.pass_context
def scheduler(click_ctx: click.Context, config_file: Path | None) -> None:
    """Run the scheduled jobs (supply checks ...) until stopped with SIGTERM or Ctrl-C.

    Only one scheduler runs at a time: a second one refuses to start while the first holds the lock.
    """
    click_ctx.ensure_object(KioskContext)
    click_ctx.meta["scheduler_config"] = config_file
    if click_ctx.invoked_subcommand is not None:
        return
    from kiosk import timeutil
    from kiosk.logs import configure_logging

    from .config import load_scheduler_config
    from .lease import LeaseHeld
    from .process import run_scheduler

    kiosk = click_ctx.find_object(KioskContext)
    configure_logging()
    _quiet_apscheduler()
    timeutil.configure(kiosk.settings.station.timezone)
    config = load_scheduler_config(_config_path(click_ctx, kiosk))
    try:
        code = run_scheduler(kiosk.settings, config)
    except LeaseHeld as e:
        click.echo(f"kiosk scheduler: {e.message}", err=True)
        sys.exit(EXIT_REFUSED)
    sys.exit(code)


def _config_path(click_ctx: click.Context, kiosk: KioskContext) -> Path:
    from .config import config_path

    return click_ctx.meta.get("scheduler_config") or config_path(kiosk.settings)


def _quiet_apscheduler() -> None:
    """The scheduler logs each run itself, in one line; APScheduler's own chatter stays at WARNING."""
    import logging

    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logging.getLogger(name).setLevel(logging.WARNING)


@scheduler.command("jobs")
@click.pass_context
@pass_kiosk
def jobs(kiosk: KioskContext, click_ctx: click.Context) -> None:
    """Check the schedule file and list the jobs, their schedules and whether a scheduler is running."""
    from datetime import UTC, datetime

    from kiosk.db import Database

    from .config import load_scheduler_config
    from .lease import current_holder
    from .process import job_summary
    from .registry import JOBS

    config = load_scheduler_config(_config_path(click_ctx, kiosk))
    for job in JOBS:
        click.echo(job_summary(job, config))
    database = Database(kiosk.settings.database_url)
    try:
        database.upgrade()
        holder = current_holder(database)
    finally:
        database.dispose()
    now = datetime.now(UTC)
    click.echo(f"Scheduler running: {holder.describe(now)}." if holder else "No scheduler is running.")


@scheduler.command("ask")
@click.argument("job")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0, 3600), default=120, show_default=True,
              help="Seconds to wait for the answer (0: do not wait).")
@pass_kiosk
def ask(kiosk: KioskContext, job: str, wait_seconds: float) -> None:
    """Ask the running scheduler to run JOB now, and print its answer."""
    from kiosk.db import Database

    from . import requests

    database = Database(kiosk.settings.database_url)
    try:
        database.upgrade()
        try:
            request = requests.ask(database, job, requested_by="command line", station=kiosk.settings.station.id)
        except requests.UnknownJob as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"Asked for {job} (request #{request.id}).")
        if request.waiting_for_nobody:
            click.echo("No scheduler is running; the request waits until one starts.")
        deadline = time.monotonic() + wait_seconds
        while request.is_open and time.monotonic() < deadline:
            time.sleep(0.5)
            request = requests.get(database, request.id) or request
        if request.is_open:
            click.echo(f"No answer yet (request #{request.id} is {request.status}).")
            sys.exit(1)
        click.echo(f"{request.status}: {request.result}")
        sys.exit(0 if request.status == "done" else 1)
    finally:
        database.dispose()
