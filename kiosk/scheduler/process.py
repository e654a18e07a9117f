"""The scheduler process: APScheduler 3.11 in its own process, never inside a web worker.

Start-up: check every job's configuration (preflight), migrate the database, take the lease (or
refuse to start), answer as failed the requests a stopped scheduler left running, then start the
timetable plus two housekeeping jobs: the lease heartbeat and the poll for "run now" requests.
SIGTERM or SIGINT stops it cleanly: no new runs, running jobs finish, the lease is released, exit 0.

APScheduler keeps its jobs in memory here (no shared job store): the timetable comes from
config/scheduler.toml at every start, and the lease guarantees that only one process runs it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from kiosk import timeutil
from kiosk.config import ConfigError, Settings
from kiosk.db import Database
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway

from . import requests
from .config import SchedulerConfig
from .context import JobContext, JobFailed
from .lease import Lease
from .models import JobRun
from .registry import JOBS, Job, job_function, load

log = logging.getLogger("kiosk.scheduler")

EXIT_OK = 0
EXIT_LEASE_LOST = 3


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    summary: str


def _now() -> datetime:
    return datetime.now(UTC)


def failure_text(error: BaseException) -> str:
    """A failure as a sentence without patient data: the kiosk's own errors carry readable messages
    written for that; anything else is named by its type only (its message might quote data)."""
    if isinstance(error, FhirError | ConfigError | JobFailed):
        return str(getattr(error, "message", None) or error)
    return f"The job failed unexpectedly ({type(error).__name__}); see the scheduler log."


class SchedulerProcess:
    def __init__(self, settings: Settings, config: SchedulerConfig):
        self.settings = settings
        self.config = config
        timeutil.configure(settings.station.timezone)
        self.database = Database(settings.database_url)
        self.lease = Lease(self.database, config.lease_seconds)
        self.gateway = FhirGateway.from_settings(settings)
        self.functions: dict[str, Callable[[JobContext], str]] = {}
        self.job_locks = {job.name: threading.Lock() for job in JOBS}
        self.queued: set[str] = set()
        self.queued_lock = threading.Lock()
        self.stopping = threading.Event()
        self.stop_reason = ""
        self.exit_code = EXIT_OK
        self.scheduler: BackgroundScheduler | None = None

    # ------------------------------------------------------------------ life cycle

    def prepare(self) -> None:
        """Everything that can refuse start-up, in order: job configuration, schema, the lease."""
        for job in JOBS:
            self.functions[job.name] = job_function(job)
            if job.preflight:
                load(job.preflight)(self.settings)
        self.database.upgrade()
        self.lease.acquire()
        dead = self.lease.took_over_from
        if dead is not None:
            log.warning("The previous scheduler (pid %d on this machine) is gone without releasing its lock; "
                        "took over at once instead of waiting for its lease to expire", dead.pid)
        abandoned = requests.abandon_unfinished(self.database, self.lease.holder)
        if abandoned:
            log.warning("%d request(s) left running by a stopped scheduler were answered as failed", abandoned)

    def start(self) -> None:
        scheduler = BackgroundScheduler(
            timezone=self.config.timezone,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        for job in JOBS:
            schedule = self.config.schedule_of(job.name)
            if schedule.enabled and (schedule.cron or schedule.interval_seconds):
                scheduler.add_job(self.run_job, schedule.trigger(self.config.timezone), args=(job.name, "schedule"),
                                  id=job.name, name=job.name)
        scheduler.add_job(self.heartbeat, "interval", seconds=self.config.lease_seconds / 3, id="_heartbeat",
                          name="lease heartbeat")
        scheduler.add_job(self.poll_requests, "interval", seconds=self.config.poll_seconds, id="_requests",
                          name="run-now requests", next_run_time=_now())
        scheduler.add_job(self.forget_old, "interval", hours=6, id="_history", name="history clean-up",
                          next_run_time=_now())
        scheduler.start()
        self.scheduler = scheduler
        for job in JOBS:
            entry = scheduler.get_job(job.name)
            when = timeutil.local(entry.next_run_time).strftime("%Y-%m-%d %H:%M:%S") if entry else "when asked"
            log.info("job %s: %s; next run %s", job.name, self.config.schedule_of(job.name).describe(), when)

    def stop(self, reason: str, exit_code: int = EXIT_OK) -> None:
        if not self.stopping.is_set():
            self.stop_reason = reason
            self.exit_code = exit_code
            self.stopping.set()

    def wait(self) -> int:
        """Block until asked to stop, then shut down cleanly; returns the exit code."""
        while not self.stopping.wait(1.0):
            pass
        log.info("Stopping (%s): no new runs; waiting for running jobs to finish", self.stop_reason)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.exit_code != EXIT_LEASE_LOST:
            self.lease.release()
        self.gateway.close()
        self.database.dispose()
        log.info("Scheduler stopped (%s).", self.stop_reason)
        return self.exit_code

    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: FrameType | None) -> None:
            self.stop(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    # ------------------------------------------------------------------ housekeeping jobs

    def heartbeat(self) -> None:
        try:
            if not self.lease.renew():
                log.error("The scheduler lease was taken over by another scheduler; stopping this one at once.")
                self.stop("lease lost", EXIT_LEASE_LOST)
        except Exception as e:  # the database may be briefly locked or down: try again next beat
            log.warning("Could not renew the scheduler lease (%s); trying again", type(e).__name__)

    def forget_old(self) -> None:
        try:
            forgotten = requests.forget_old(self.database, self.config.keep_history_days)
        except Exception as e:
            log.warning("Could not clear old scheduler history (%s)", type(e).__name__)
            return
        if forgotten:
            log.info("Cleared %d scheduler history rows older than %d days", forgotten, self.config.keep_history_days)

    def poll_requests(self) -> None:
        """Queue one run of each job someone asked for (the run answers every request it claims)."""
        if self.stopping.is_set() or self.scheduler is None:
            return
        try:
            pending = requests.pending_jobs(self.database)
        except Exception as e:
            log.warning("Could not read run-now requests (%s)", type(e).__name__)
            return
        for name in pending:
            if name not in self.functions:
                requests.refuse(self.database, name, f"This scheduler has no job called {name!r}.")
                continue
            with self.queued_lock:
                if name in self.queued:
                    continue
                self.queued.add(name)
            self.scheduler.add_job(self.run_job, args=(name, "request"), id=f"{name}:now", name=f"{name} (asked)",
                                   replace_existing=True)

    # ------------------------------------------------------------------ running a job

    def run_job(self, name: str, trigger: str) -> RunOutcome | None:
        """Run one job (one at a time per job), answering the requests pending when it starts."""
        with self.job_locks[name]:
            claimed = requests.claim(self.database, name, self.lease.holder)
            if trigger == "request":
                with self.queued_lock:
                    self.queued.discard(name)
                if not claimed:
                    return None  # a scheduled run already answered them
            requested_by = requests.requested_by(self.database, claimed)
            ctx = JobContext(settings=self.settings, database=self.database, gateway=self.gateway,
                             log=logging.getLogger(f"kiosk.jobs.{name}"),
                             trigger="request" if claimed else trigger, requested_by=requested_by)
            outcome = self._execute(name, ctx, claimed)
            requests.answer(self.database, claimed, ok=outcome.ok, result=outcome.summary)
            return outcome

    def _execute(self, name: str, ctx: JobContext, claimed: list[int]) -> RunOutcome:
        started = _now()
        clock = time.perf_counter()
        label = f"{name} ({ctx.trigger}{''.join(f' #{i}' for i in claimed)})"
        try:
            summary = one_line(self.functions[name](ctx))
            outcome = RunOutcome(ok=True, summary=summary)
            log.info("Ran %s in %.2f s: %s", label, time.perf_counter() - clock, summary)
        except Exception as e:
            outcome = RunOutcome(ok=False, summary=failure_text(e))
            if isinstance(e, FhirError | ConfigError | JobFailed):
                log.error("%s failed after %.2f s: %s", label, time.perf_counter() - clock, outcome.summary)
            else:
                log.error("%s failed after %.2f s with %s\n%s", label, time.perf_counter() - clock,
                          type(e).__name__, "".join(traceback.format_tb(e.__traceback__)))
        try:
            with self.database.session() as session:
                session.add(JobRun(job=name, trigger=ctx.trigger, scheduler=self.lease.holder, started_at=started,
                                   finished_at=_now(), ok=outcome.ok, summary=outcome.summary))
        except Exception as e:
            log.warning("Could not record the run of %s (%s)", name, type(e).__name__)
        return outcome


def one_line(summary: object) -> str:
    lines = str(summary).strip().splitlines()
    return (lines[0] if lines else "done")[:500]


def run_scheduler(settings: Settings, config: SchedulerConfig) -> int:
    """`kiosk scheduler`: run until SIGTERM/SIGINT. Raises ConfigError or LeaseHeld before starting."""
    process = SchedulerProcess(settings, config)
    try:
        process.prepare()
    except BaseException:
        process.gateway.close()
        process.database.dispose()
        raise
    process.install_signal_handlers()
    log.info("Scheduler started: pid %d, lock held as %s, schedule from %s", process.lease.pid, process.lease.holder,
             config.source)
    process.start()
    return process.wait()


def job_summary(job: Job, config: SchedulerConfig) -> str:
    return f"{job.name}: {job.description}; {config.schedule_of(job.name).describe()}"

