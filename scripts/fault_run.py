"""Fault run (`.venv/bin/python scripts/fault_run.py --minutes 3`): bed transfers and label prints
through the kiosk's HTTP API while the FHIR server, the kiosk and the scheduler are killed with SIGKILL
at random moments and started again; then the checks:

- FHIR state consistent: every in-progress encounter of the unit is in exactly one bed, that bed's
  status says occupied (or isolated), no bed holds two encounters, no empty bed says occupied (only
  problems that were not there before the run count);
- every FHIR write audited: each Encounter version written during the run has a fhir-write intent on
  that encounter written before it, and each Location / Task version one whose time span covers it
  (closed with an outcome, or shown as "outcome unknown: check the record");
- every print job printed exactly once (the printer received its bytes once) or flagged for a person
  ("check the printer", "not printed"), none printed without a job, each with its audit intent;
- `kiosk audit verify` passes.

Everything runs on loopback in a temporary folder: sekmet-fhir (a file store, so it survives its
kills), the kiosk under gunicorn, the scheduler, and a raw TCP "printer" that keeps what it receives.
Prints Markdown figures for docs/benchmarks.md; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from kiosk.audit.models import AuditRecord  # noqa: E402
from kiosk.auth import Role  # noqa: E402
from kiosk.beds.occupancy import BedState  # noqa: E402
from kiosk.beds.services import load_board  # noqa: E402
from kiosk.config import load_settings  # noqa: E402
from kiosk.db import Database  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, unit_plan  # noqa: E402
from kiosk.fhir import codes  # noqa: E402
from kiosk.fhir.errors import FhirError  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.labels.models import JobStatus, PrintJob  # noqa: E402
from tests.support.auth import CREDENTIALS  # noqa: E402
from tests.support.labels import PrinterFiles, RawPrinter  # noqa: E402
from tests.support.sekmet import SEKMET_BIN, free_port  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
UNIT_CODE = "FAULT"
SCHEDULE = """\
[scheduler]
lease_seconds = 15
poll_seconds = 1

[jobs.print-retry]
interval_seconds = 2

[jobs.audit-events]
interval_seconds = 20
"""


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


# ---------------------------------------------------------------- the processes


@dataclass
class Service:
    """A process this run starts, kills with SIGKILL (its whole process group) and starts again."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready: Callable[[Service], bool]
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0
    starts: int = 0

    def start(self, timeout: float = 90) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start ({self.process.returncode}); see {self.log_path}")
            if self.ready(self):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def scheduler_holds_lease(database: Database) -> Callable[[Service], bool]:
    from kiosk.scheduler.lease import current_holder

    def ready(service: Service) -> bool:
        holder = current_holder(database)
        return holder is not None and service.process is not None and holder.pid == service.process.pid

    return ready


# ---------------------------------------------------------------- a station: a signed-in unit secretary


_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def form_fields(html: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The action form's fields (hidden and checked) and each radio group's choices."""
    start = html.find('class="action-form"')
    body = html[start:html.find("</form>", start)] if start >= 0 else html
    fields: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    for tag in _INPUT.findall(body):
        attrs = {k: html_lib.unescape(v) for k, v in _ATTR.findall(tag)}
        name, value = attrs.get("name"), attrs.get("value", "")
        if not name:
            continue
        if attrs.get("type") == "radio":
            choices.setdefault(name, []).append(value)
            if re.search(r"\schecked\b", tag):
                fields[name] = value
        else:
            fields[name] = value
    return fields, choices


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    print_jobs: set[int] = field(default_factory=set)

    def add(self, key: str, job_id: int | None = None) -> None:
        with self.lock:
            self.counts[key] += 1
            if job_id is not None:
                self.print_jobs.add(job_id)


class Station:
    def __init__(self, base_url: str, gw: FhirGateway, tally: Tally, seed: int):
        self.base = base_url
        self.gw = gw
        self.tally = tally
        self.random = random.Random(seed)
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)

    def _token(self, path: str) -> str:
        page = self.http.get(path).text
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if not found:
            raise RuntimeError(f"no CSRF token on {path}")
        return found.group(1)

    def sign_in(self) -> None:
        badge, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
        self.http.post("/sign-in/badge", data={"badge": badge, "csrf_token": self._token("/sign-in")})
        done = self.http.post("/sign-in/pin", data={"pin": pin, "csrf_token": self._token("/sign-in/pin")})
        if done.status_code != 302:
            raise RuntimeError(f"sign-in answered {done.status_code}")

    def signed_in(self) -> bool:
        return self.http.get("/beds/").status_code == 200

    def transfer_or_clean(self) -> None:
        board = load_board(self.gw, load_settings().beds)
        tiles = list(board.tiles.values())
        occupied = [t for t in tiles if t.state is BedState.OCCUPIED and t.patient is not None]
        dirty = [t for t in tiles if t.state in (BedState.HOUSEKEEPING, BedState.CLEANING) and t.patient is None]
        free = [t for t in tiles if t.state is BedState.AVAILABLE and t.patient is None and not t.reserved_for]
        if dirty and (len(free) < 2 or self.random.random() < 0.3):
            self._act("bed-clean", self.random.choice(dirty).id, {"ready": "yes"})
        elif occupied and free:
            self._act("transfer", self.random.choice(occupied).id, {})
        else:
            self.tally.add("transfer: no bed to use")

    def _act(self, action: str, bed_id: str, extra: dict[str, str]) -> None:
        panel = self.http.get(f"/beds/bed/{bed_id}", params={"open": action}, headers={"HX-Request": "true"})
        if panel.status_code != 200:
            self.tally.add(f"{action}: panel answered {panel.status_code}")
            return
        fields, choices = form_fields(panel.text)
        if "csrf_token" not in fields:  # the bed changed meanwhile: the panel says so instead of a form
            self.tally.add(f"{action}: no form (bed changed)")
            return
        if action == "transfer":
            if not choices.get("target"):
                self.tally.add("transfer: no target offered")
                return
            extra = {"target": self.random.choice(choices["target"])}
        data = {**fields, **extra}
        done = self.http.post(f"/beds/act/{action}", data=data,
                              headers={"HX-Request": "true", "X-CSRFToken": data.get("csrf_token", "")})
        self.tally.add(f"{action}: HTTP {done.status_code}")

    def print_label(self) -> None:
        census = load_board(self.gw, load_settings().beds)
        stays = [t.patient for t in census.tiles.values() if t.patient is not None and t.patient.patient_id]
        if not stays:
            self.tally.add("print: no patient")
            return
        stay = self.random.choice(stays)
        url = f"/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}"
        accession = f"S{self.random.randrange(10**7, 10**8)}"
        page = self.http.get(url, params={"type": "specimen"})
        if page.status_code != 200:
            self.tally.add(f"print: page answered {page.status_code}")
            return

        def value(html: str, name: str) -> str:
            found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
            if not found:
                raise RuntimeError(f"the print page has no {name}")
            return found.group(1)

        form = {"csrf_token": value(page.text, "csrf_token"), "label_type": "specimen",
                "print_token": value(page.text, "print_token"), "printer_id": "TEST-ZEBRA", "copies": "1",
                "accession": accession, "test": "Basic metabolic panel", "container": "Gold top (SST)",
                "identifiers_confirmed": "y", "reprint_reason": "lost"}
        preview = self.http.post(url + "/preview", data=form, headers={"HX-Request": "true"})
        if preview.status_code != 200:
            self.tally.add(f"print: preview answered {preview.status_code}")
            return
        form["preview_sha256"] = value(preview.text, "preview_sha256")
        done = self.http.post(url + "/print", data=form)
        job = re.search(r"/labels/jobs/(\d+)$", done.headers.get("Location", ""))
        self.tally.add(f"print: HTTP {done.status_code}", int(job.group(1)) if job else None)

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            try:
                if not self.signed_in():
                    self.sign_in()
                if self.random.random() < 0.65:
                    self.transfer_or_clean()
                else:
                    self.print_label()
            except (httpx.HTTPError, FhirError, RuntimeError) as e:
                self.tally.add(f"error: {type(e).__name__}")
                time.sleep(0.5)
            time.sleep(self.random.uniform(0.1, 0.6))


# ---------------------------------------------------------------- checks


def fhir_problems(gw: FhirGateway) -> set[str]:
    """Occupancy that disagrees with itself on the FHIR server (encounters, beds, their statuses)."""
    board = load_board(gw, load_settings().beds)
    beds = {t.id: t for t in board.tiles.values()}
    problems: set[str] = set()
    in_bed: dict[str, list[str]] = {}
    encounters = gw.client.search("Encounter", [("status", "in-progress"), ("_count", "200")]).matches
    for enc in encounters:
        active = [loc["location"]["reference"].split("/")[-1] for loc in enc.get("location", [])
                  if loc.get("status") == "active"]
        here = [b for b in active if b in beds]
        if not here:
            continue  # an encounter on another unit
        if len(active) != 1:
            problems.add(f"Encounter/{enc['id']} is active in {len(active)} locations")
        for bed in here:
            in_bed.setdefault(bed, []).append(enc["id"])
    for bed_id in beds:
        status = (gw.client.read("Location", bed_id).get("operationalStatus") or {}).get("code")
        holders = in_bed.get(bed_id, [])
        if len(holders) > 1:
            problems.add(f"Location/{bed_id} holds {len(holders)} encounters")
        if holders and status not in (codes.BED_OCCUPIED, codes.BED_ISOLATED):
            problems.add(f"Location/{bed_id} holds an encounter but says {status}")
        if not holders and status == codes.BED_OCCUPIED:
            problems.add(f"Location/{bed_id} says occupied but holds no encounter")
    return problems


def history(base_url: str, resource_type: str, since: datetime) -> list[dict[str, Any]]:
    """Every version of `resource_type` written since `since` (the server's _history, all pages)."""
    url: str | None = f"{base_url}/{resource_type}/_history"
    params: dict[str, str] | None = {"_since": since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "_count": "500"}
    found = []
    while url:
        bundle = httpx.get(url, params=params, timeout=60).raise_for_status().json()
        found += [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
        url = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
        params = None
    return found


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def audit_problems(database: Database, base_url: str, since: datetime) -> tuple[list[str], Counter[str]]:
    tolerance = timedelta(seconds=1)
    with database.session() as db:
        rows = list(db.scalars(select(AuditRecord).where(AuditRecord.action == "fhir-write")))
    closing = {r.intent_id: r for r in rows if r.intent_id is not None}
    intents = [r for r in rows if r.outcome == "pending"]
    figures: Counter[str] = Counter(f"intent {closing[i.id].outcome}" if i.id in closing else "intent open"
                                    for i in intents)

    def utc(at: datetime) -> datetime:
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    def span(intent: AuditRecord) -> tuple[datetime, datetime]:
        end = utc(closing[intent.id].at) + tolerance if intent.id in closing else datetime.max.replace(tzinfo=UTC)
        return utc(intent.at) - tolerance, end

    problems = []
    for resource_type in ("Encounter", "Location", "Task"):
        for version in history(base_url, resource_type, since):
            when = _instant(version["meta"]["lastUpdated"])
            ref = f"{resource_type}/{version['id']}"
            candidates = [i for i in intents if i.entity == ref] if resource_type == "Encounter" else intents
            figures[f"{resource_type} versions written"] += 1
            if not any(span(i)[0] <= when <= span(i)[1] for i in candidates):
                problems.append(f"{ref} version {version['meta'].get('versionId')} at {when:%H:%M:%S.%f} has no "
                                "audit intent before it")
    return problems, figures


def print_problems(database: Database, printer: RawPrinter, asked: set[int]) -> tuple[list[str], Counter[str]]:
    received = printer.jobs()
    with database.session() as db:
        jobs = list(db.scalars(select(PrintJob)))
        audited = set(db.scalars(select(AuditRecord.entity).where(AuditRecord.action.in_(["print", "reprint"]),
                                                                   AuditRecord.outcome == "pending")))
    figures: Counter[str] = Counter(f"jobs {j.status}" for j in jobs)
    figures["printer connections"] = len(received)
    problems = []
    payloads = {j.id: j.payload for j in jobs}
    for job in jobs:
        whole = sum(1 for r in received if r == job.payload)
        partial = sum(1 for r in received if r != job.payload and job.payload.startswith(r) and r)
        if job.status == JobStatus.PRINTED and whole != 1:
            problems.append(f"PrintJob/{job.id} is printed but the printer received it {whole} times")
        if job.status in (JobStatus.QUEUED, JobStatus.SENDING):
            problems.append(f"PrintJob/{job.id} is still {job.status} after the run settled")
        if job.status == JobStatus.FAILED and whole:
            problems.append(f"PrintJob/{job.id} says not printed but the printer received it")
        if partial:
            figures["jobs cut off part-way"] += 1
        if f"PrintJob/{job.id}" not in audited:
            problems.append(f"PrintJob/{job.id} has no audit intent")
    for n, data in enumerate(received):
        if data and not any(p.startswith(data) for p in payloads.values()):
            problems.append(f"printer connection {n + 1} received bytes of no print job")
    problems += [f"PrintJob/{j} was answered to a station but is not in the queue" for j in asked - set(payloads)]
    return problems, figures


# ---------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3, help="how long the faults go on (default 3, at most 60)")
    parser.add_argument("--beds", type=int, default=16)
    parser.add_argument("--stations", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args()
    minutes = max(0.2, min(args.minutes, 60))
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-fault-"))
    say(f"fault run for {minutes:g} min in {workdir}")

    fhir_port, kiosk_port, printer_port = free_port(), free_port(), free_port()
    base_url = f"http://127.0.0.1:{fhir_port}/fhir"
    (workdir / "sekmet").mkdir()
    (workdir / "sekmet.yaml").write_text(json.dumps({
        "base_url": base_url, "host": "127.0.0.1", "port": fhir_port, "db_path": str(workdir / "sekmet" / "fhir.db"),
        "data_dir": str(workdir / "sekmet"), "own_private_key_path": str(workdir / "sekmet" / "key.pem"),
        "simulator": {"enabled": False}, "log_inbound": False}))
    printers = PrinterFiles(tcp_port=printer_port, folder=workdir / "labels")
    (workdir / "printers.toml").write_text(printers.text().replace("stale_claim_s = 60", "stale_claim_s = 10"))
    (workdir / "scheduler.toml").write_text(SCHEDULE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({
        "KIOSK_FHIR_BASE_URL": base_url, "KIOSK_DATABASE_URL": f"sqlite:///{workdir / 'var' / 'kiosk.db'}",
        "KIOSK_WEB_SECRET_KEY": "fault-run-secret-key-not-for-production", "KIOSK_WEB_PORT": str(kiosk_port),
        "KIOSK_WEB_HOST": "127.0.0.1", "KIOSK_PRINTERS_CONFIG": str(workdir / "printers.toml"),
        "KIOSK_SCHEDULER_CONFIG": str(workdir / "scheduler.toml"),
        "KIOSK_FHIR_READ_TIMEOUT": "10", "PYTHONUNBUFFERED": "1", "SEKMET_CONFIG": str(workdir / "sekmet.yaml"),
    })
    fhir = Service("FHIR server", [str(SEKMET_BIN), "serve"], env, workdir / "sekmet.log",
                   lambda _s: answers(f"{base_url}/metadata"))
    fhir.start()

    system = load_settings(env=env).identifiers.location
    env["KIOSK_UNIT_LOCATION"] = f"{system}|{UNIT_CODE}"
    os.environ.update({k: v for k, v in env.items() if k.startswith("KIOSK_")})
    settings = load_settings()
    gw = FhirGateway.from_settings(settings)
    builder = DemoBuilder(gw.identifiers, first_number=9_000_000)
    gw.client.transaction(builder.site_transaction())
    gw.client.transaction(builder.unit_transaction(unit_plan(UNIT_CODE, "Fault Unit", args.beds, seed=args.seed)))
    gw = FhirGateway(gw.client, gw.identifiers, UnitRef(system=system, value=UNIT_CODE))
    subprocess.run([PYTHON, "-m", "kiosk.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([PYTHON, "-m", "kiosk.cli", "user", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    database = Database(env["KIOSK_DATABASE_URL"])
    before = fhir_problems(gw)

    printer = RawPrinter(printer_port).start()
    kiosk = Service("kiosk", [PYTHON, "-m", "kiosk.cli", "serve", "--port", str(kiosk_port), "--workers", "2"], env,
                    workdir / "kiosk.log", lambda _s: answers(f"http://127.0.0.1:{kiosk_port}/healthz"))
    scheduler = Service("scheduler", [PYTHON, "-m", "kiosk.cli", "scheduler"], env, workdir / "scheduler.log",
                        scheduler_holds_lease(database))
    kiosk.start()
    scheduler.start()
    services = [fhir, kiosk, scheduler]

    started_at = datetime.now(UTC)
    until = time.monotonic() + minutes * 60
    tally = Tally()
    stations = [Station(f"http://127.0.0.1:{kiosk_port}", gw, tally, args.seed * 100 + n) for n in range(args.stations)]
    threads = [threading.Thread(target=s.run, args=(until,), daemon=True) for s in stations]
    for t in threads:
        t.start()
    outages: list[float] = []
    while time.monotonic() < until - 5:
        time.sleep(rng.uniform(3, 10))
        victim = rng.choice(services)
        victim.kill()
        down = time.monotonic()
        time.sleep(rng.uniform(0.2, 3))
        try:
            victim.start()
        except RuntimeError as e:
            say(f"{victim.name} did not come back: {e}")
            raise
        outages.append(time.monotonic() - down)
        say(f"killed and restarted the {victim.name} ({time.monotonic() - down:.1f} s down)")
    for t in threads:
        t.join(timeout=120)

    say("faults over; letting the print queue settle")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with database.session() as db:
            waiting = db.scalar(select(PrintJob.id).where(PrintJob.status.in_(["queued", "sending"])).limit(1))
        if waiting is None:
            break
        time.sleep(1)
    time.sleep(1)
    after = fhir_problems(gw)
    new_fhir = sorted(after - before)
    audit_issues, audit_figures = audit_problems(database, base_url, started_at)
    print_issues, print_figures = print_problems(database, printer, tally.print_jobs)
    verified = subprocess.run([PYTHON, "-m", "kiosk.cli", "audit", "verify"], cwd=ROOT, env=env, capture_output=True,
                              text=True)
    for service in (scheduler, kiosk, fhir):
        service.stop()
    printer.stop()
    gw.close()
    database.dispose()

    print()
    print(f"### Fault run: {minutes:g} min, {args.beds} beds, {args.stations} stations, seed {args.seed}")
    print()
    print("| what | count |")
    print("| --- | --- |")
    for service in services:
        print(f"| SIGKILL of the {service.name} (then restarted) | {service.kills} |")
    if outages:
        median = sorted(outages)[len(outages) // 2]
        print(f"| time down per kill, median / max | {median:.1f} s / {max(outages):.1f} s |")
    for key, count in sorted(tally.counts.items()):
        print(f"| station {key} | {count} |")
    for key, count in sorted({**audit_figures, **print_figures}.items()):
        print(f"| {key} | {count} |")
    print(f"| FHIR occupancy problems before / after (new) | {len(before)} / {len(after)} ({len(new_fhir)}) |")
    print(f"| `kiosk audit verify` | {verified.stdout.strip() or verified.stderr.strip()[-200:]} |")
    failures = [*new_fhir, *audit_issues, *print_issues] + ([] if verified.returncode == 0 else ["audit verify failed"])
    print()
    if failures:
        print(f"**{len(failures)} problem(s):**")
        for line in failures[:40]:
            print(f"- {line}")
    else:
        print("**All checks passed.**")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    else:
        print(f"\nLogs and databases kept in {workdir}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
