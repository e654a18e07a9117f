"""Benchmarks of a census that scales (`.venv/bin/python scripts/bench_scale.py`): the shared census
(kiosk.census) on one sekmet-fhir server.

1. FHIR requests per board render, poll, panel and action at 20, 200, 600 and 1,000 beds: when the
   census must be read (a change touched it), and when nothing changed.
2. The board when its census must be read, against the bare fetch of the same requests (sent by a plain
   HTTP client, the answers parsed as JSON, nothing more), interleaved, at 20, 200 and 600 beds: against
   the census's 6 requests alone, and against all the board's 8 (with the change look and the transport
   marks), so that the second ratio is what the kiosk itself costs; the kiosk's own time (the board's time
   less the time its requests spent in the HTTP transport); and the poll that finds nothing changed.
3. A 600-bed hospital (19 units, one kiosk app per unit, all on one database, the census-check job every
   CHECK_SECONDS) watched by SCREENS screens polling every POLL_SECONDS: FHIR requests per minute with no
   changes and with one change per second (an occupant's name changed on the server), the time from a
   change on the server to the change on a screen, and errors.

Starts its own sekmet-fhir on a free port (in-memory store); the kiosks run in this process (Flask test
clients, one thread per screen). Prints Markdown for docs/benchmarks.md; runs for a few minutes
(`--units-only`: parts 1 and 2; `--times-only`: part 2 alone, at 20, 200 and 600 beds; `--hospital-only`:
part 3; BENCH_ROUNDS: the rounds of part 2, 15 by default; BENCH_SIZES: part 2's unit sizes, "20,200,600" by
default; BENCH_GC_FREEZE=1: part 2 with the objects alive before its rounds frozen out of the garbage
collector's reach (gc.freeze(), as a server process could do once its app is loaded), to see what the
collector costs).
Figures vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from kiosk import create_app  # noqa: E402
from kiosk.auth.services import ensure_demo_staff, use_test_pin_hashing  # noqa: E402
from kiosk.beds.occupancy import BedState  # noqa: E402
from kiosk.beds.services import load_board  # noqa: E402
from kiosk.beds.settings import BedSettings  # noqa: E402
from kiosk.census import census_store  # noqa: E402
from kiosk.census.jobs import check_census  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, plan_units, unit_plan  # noqa: E402
from kiosk.extensions import database, services  # noqa: E402
from kiosk.fhir.census import fetch_census  # noqa: E402
from kiosk.fhir.errors import FhirError  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.scheduler.context import JobContext  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

HTMX = {"HX-Request": "true"}
SIZES = (20, 200, 600, 1000)
TIMED_SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "20,200,600").split(","))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
SCREENS = int(os.environ.get("BENCH_SCREENS", "200"))
POLL_SECONDS = 5.0
CHECK_SECONDS = 2.0
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "40"))
#: Seeding a 1,000-bed unit, and reading its census, take longer than the kiosk's usual 10 s on a busy machine.
READ_TIMEOUT = "60"


def kiosk_app(base_url: str, db_url: str, ref: UnitRef, **env: str) -> Flask:
    settings = make_settings(base_url, Path("unused.db"), KIOSK_DATABASE_URL=db_url,
                             KIOSK_UNIT_LOCATION=f"{ref.system}|{ref.value}", KIOSK_AUTH_IDLE_LOCK_SECONDS="3600",
                             KIOSK_FHIR_READ_TIMEOUT=READ_TIMEOUT, **env)
    app = create_app(settings, testing=True)  # cheap PIN hashing for the screens' sign-ins
    with app.app_context():
        database().upgrade()
        with database().session() as db:
            ensure_demo_staff(db, settings.identifiers.practitioner)
    return app


def gateway_of(app: Flask) -> FhirGateway:
    with app.app_context():
        return services().gateway()


def fingerprint(html: str) -> str:
    found = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def csrf(client: FlaskClient) -> str:
    found = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/beds/").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def read_again(app: Flask) -> None:
    with app.app_context():
        census_store().read_all_again()


class Recorder(httpx.BaseTransport):
    """Put under a gateway's HTTP client: adds up the time its requests spend in the transport (sent, the
    server's work, the answer read to its last byte), and keeps the requests sent while `recorded` is a
    list (to send them again bare)."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.seconds = 0.0
        self.recorded: list[httpx.Request] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.recorded is not None:
            self.recorded.append(request)
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.seconds += time.perf_counter() - started
        return response

    def close(self) -> None:
        self.inner.close()


def recorder_of(gw: FhirGateway) -> Recorder:
    """The gateway's Recorder (put in place the first time)."""
    http = gw.client.http
    if not isinstance(http._transport, Recorder):
        http._transport = Recorder(http._transport)
    return http._transport


def recorded(gw: FhirGateway, run: Callable[[], object]) -> list[httpx.Request]:
    """The requests `run` sends through the gateway."""
    recorder = recorder_of(gw)
    recorder.recorded = []
    try:
        run()
        return recorder.recorded
    finally:
        recorder.recorded = None


def bare_fetch(http: httpx.Client, requests: list[httpx.Request]) -> float:
    """The same requests sent by a plain HTTP client, each answer parsed as JSON and nothing more: ms."""
    started = time.perf_counter()
    for request in requests:
        response = http.send(httpx.Request(request.method, request.url, headers=request.headers,
                                           content=request.content))
        assert response.status_code == 200, response.status_code
        json.loads(response.content)
    return (time.perf_counter() - started) * 1000


class GcClock:
    """The time the interpreter's garbage collector ran (gc.callbacks), in seconds, since it was made."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def close(self) -> None:
        gc.callbacks.remove(self._tick)


@dataclass
class Timing:
    """Part 2 at one size: per round, interleaved."""

    beds: int
    board_ms: list[float] = field(default_factory=list)
    own_ms: list[float] = field(default_factory=list)
    gc_ms: list[float] = field(default_factory=list)
    bare_census_ms: list[float] = field(default_factory=list)
    bare_board_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    quiet_ms: list[float] = field(default_factory=list)
    quiet_requests: str = ""
    census_requests: int = 0
    board_requests: int = 0

    def ratio(self, bare: list[float]) -> float:
        """The median of the rounds' ratios (each board against the bare fetch of the same round)."""
        return statistics.median(b / f for b, f in zip(self.board_ms, bare, strict=True))


def time_board(base_url: str, app: Flask, client: FlaskClient, gw: FhirGateway, beds: int, db_url: str,
               ref: UnitRef) -> Timing:
    """The board fragment with its census read again, against the bare fetch of the same requests, in
    interleaved rounds (which goes first alternates); and the unchanged poll."""
    timing = Timing(beds)
    with app.app_context():
        census_requests = recorded(gw, lambda: fetch_census(gw))

    def board() -> httpx.Response:
        answer = client.get("/beds/board", headers=HTMX)
        assert answer.status_code == 200
        return answer

    read_again(app)
    board_requests = recorded(gw, board)
    timing.census_requests, timing.board_requests = len(census_requests), len(board_requests)
    recorder = recorder_of(gw)
    if os.environ.get("BENCH_GC_FREEZE") == "1":
        gc.collect()
        gc.freeze()
    collector = GcClock()
    current = fingerprint(client.get("/beds/board", headers=HTMX).get_data(as_text=True))
    with httpx.Client(timeout=float(READ_TIMEOUT)) as http:
        bare_fetch(http, board_requests)  # the plain client's connection, opened before the rounds
        for n in range(ROUNDS):
            if n % 2:
                timing.bare_census_ms.append(bare_fetch(http, census_requests))
                timing.bare_board_ms.append(bare_fetch(http, board_requests))
            read_again(app)
            waited, collected = recorder.seconds, collector.seconds
            started = time.perf_counter()
            answer = board()
            elapsed = time.perf_counter() - started
            timing.board_ms.append(elapsed * 1000)
            timing.own_ms.append((elapsed - (recorder.seconds - waited)) * 1000)
            timing.gc_ms.append((collector.seconds - collected) * 1000)
            if not n % 2:
                timing.bare_census_ms.append(bare_fetch(http, census_requests))
                timing.bare_board_ms.append(bare_fetch(http, board_requests))
            started = time.perf_counter()
            same = client.get("/beds/board", headers={**HTMX, "X-Board-Fingerprint": current})
            timing.poll_ms.append((time.perf_counter() - started) * 1000)
            current = fingerprint(answer.get_data(as_text=True)) if same.status_code == 200 else current
    collector.close()
    # The same unit on an instance within its trust window (the scheduler's census-check looking):
    # its polls make no FHIR request at all.
    trusting = kiosk_app(base_url, db_url, ref, KIOSK_CENSUS_TRUST_SECONDS="3600")
    screen = sign_in_client(trusting.test_client())
    shown = fingerprint(screen.get("/beds/board", headers=HTMX).get_data(as_text=True))
    for _ in range(ROUNDS):
        started = time.perf_counter()
        same = screen.get("/beds/board", headers={**HTMX, "X-Board-Fingerprint": shown})
        timing.quiet_ms.append((time.perf_counter() - started) * 1000)
        assert same.status_code == 204
        timing.quiet_requests = same.headers["X-FHIR-Requests"]
    return timing


# ---------------------------------------------------------------- 1 and 2: one unit


def counts_and_times(base_url: str, tmp: Path, seed: FhirGateway, counts: bool = True
                     ) -> tuple[list[tuple], list[Timing]]:
    count_rows: list[tuple] = []
    timings: list[Timing] = []
    for n, beds in enumerate(SIZES, start=1):
        if not counts and beds not in TIMED_SIZES:
            continue
        code = f"S{beds}"
        builder = DemoBuilder(seed.identifiers, first_number=10_000_000 * n)
        seed.client.transaction(builder.unit_transaction(unit_plan(code, f"Scale {beds}", beds, seed=n)))
        ref = UnitRef(system=seed.identifiers.location, value=code)
        # The tests' setting: the kiosk looks at the server's changes before every read (no scheduler).
        db_url = f"sqlite:///{tmp}/one-{beds}.db"
        app = kiosk_app(base_url, db_url, ref)
        client = sign_in_client(app.test_client())
        client.get("/beds/")
        gw = gateway_of(app)
        if not counts:
            timings.append(time_board(base_url, app, client, gw, beds, db_url, ref))
            gw.close()
            continue
        with app.app_context():
            board = load_board(gw, BedSettings())
        occupied = next(t for t in board.tiles.values() if t.state is BedState.OCCUPIED)
        free = next(t for t in board.tiles.values() if t.state is BedState.AVAILABLE and not t.reserved_for)
        client.get(f"/beds/bed/{occupied.id}", headers=HTMX)
        read_again(app)
        changed = client.get("/beds/", headers={})
        page = client.get("/beds/")
        poll = client.get("/beds/board", headers={**HTMX, "X-Board-Fingerprint":
                                                  fingerprint(client.get("/beds/board", headers=HTMX).get_data(
                                                      as_text=True))})
        panel = client.get(f"/beds/bed/{occupied.id}", headers=HTMX)
        form = client.get(f"/beds/bed/{free.id}?open=block", headers=HTMX).get_data(as_text=True)
        seen = re.search(r'name="seen" value="([^"]*)"', form)
        assert seen is not None
        data = {"panel": f"bed:{free.id}", "bed": free.id, "reason": "Benchmark", "seen": seen.group(1)}
        act = client.post("/beds/act/block", headers={**HTMX, "X-CSRFToken": csrf(client)}, data=data)
        assert act.status_code == 200 and poll.status_code == 204
        count_rows.append((beds, changed.headers["X-FHIR-Requests"], page.headers["X-FHIR-Requests"],
                           poll.headers["X-FHIR-Requests"], panel.headers["X-FHIR-Requests"],
                           act.headers["X-FHIR-Requests"]))
        if beds in TIMED_SIZES:
            timings.append(time_board(base_url, app, client, gw, beds, db_url, ref))
        gw.close()
    return count_rows, timings


# ---------------------------------------------------------------- 3: a hospital of screens


@dataclass
class Screen:
    unit: int
    client: FlaskClient
    #: The unit's kiosk takes this many requests at once (a worker's threads; the rest wait, as behind
    #: gunicorn), so that ten screens of one unit polling together do not find every FHIR slot taken.
    threads: threading.Semaphore
    fingerprint: str = ""
    polls: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)


@dataclass
class Hospital:
    apps: list[Flask]
    gateways: list[FhirGateway]
    units: list[UnitRef]
    scheduler: JobContext
    screens: list[Screen]
    #: Per unit: the occupants' Patient ids (what the changer renames).
    patients: list[list[str]]
    changes: dict[str, tuple[int, float]] = field(default_factory=dict)
    job_errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def fhir_requests(self) -> int:
        return sum(gw.client.total_requests for gw in self.gateways) + self.scheduler.gateway.client.total_requests


def build_hospital(base_url: str, tmp: Path, seed: FhirGateway) -> Hospital:
    db_url = f"sqlite:///{tmp}/hospital.db"
    builder = DemoBuilder(seed.identifiers, first_number=900_000_000)
    units = []
    for plan in plan_units(600):
        seed.client.transaction(builder.unit_transaction(plan))
        units.append(UnitRef(system=seed.identifiers.location, value=plan.code))
    env = {"KIOSK_CENSUS_TRUST_SECONDS": "30", "KIOSK_CENSUS_OVERLAP_MS": "1000"}
    apps = [kiosk_app(base_url, db_url, ref, **env) for ref in units]
    gateways = [gateway_of(app) for app in apps]
    with apps[0].app_context():
        scheduler = JobContext(settings=services().settings, database=database(),
                               gateway=FhirGateway.from_settings(services().settings),
                               log=logging.getLogger("bench.scheduler"))
    check_census(scheduler)
    screens = []
    patients = []
    threads = [threading.Semaphore(3) for _ in apps]
    for i, app in enumerate(apps):
        with app.app_context():
            board = load_board(gateways[i], BedSettings())
        patients.append([t.patient.patient_id for t in board.tiles.values() if t.patient and t.patient.patient_id])
    for s in range(SCREENS):
        unit = s % len(apps)
        client = sign_in_client(apps[unit].test_client())
        html = client.get("/beds/board", headers=HTMX).get_data(as_text=True)
        screens.append(Screen(unit=unit, client=client, threads=threads[unit], fingerprint=fingerprint(html)))
    return Hospital(apps, gateways, units, scheduler, screens, patients)


def run_screen(h: Hospital, screen: Screen, start: float) -> None:
    next_at = start + random.uniform(0, POLL_SECONDS)
    while not h.stop.is_set():
        h.stop.wait(max(0.0, next_at - time.perf_counter()))
        if h.stop.is_set():
            return
        next_at += POLL_SECONDS
        screen.polls += 1
        try:
            with screen.threads:
                response = screen.client.get("/beds/board", headers={**HTMX,
                                                                     "X-Board-Fingerprint": screen.fingerprint})
        except Exception as e:  # an app made with testing=True raises what would otherwise be a 500
            screen.errors += 1
            screen.problems.append(type(e).__name__)
            continue
        if response.status_code == 204:
            continue
        if response.status_code != 200:
            screen.errors += 1
            screen.problems.append(f"{response.status_code} {response.headers.get('X-Poll-Problem', '')}"[:120])
            continue
        html = response.get_data(as_text=True)
        screen.fingerprint = fingerprint(html)
        now = time.perf_counter()
        for marker in re.findall(r"BENCH\d+", html):
            screen.seen.setdefault(marker, now)


def run_scheduler(h: Hospital, every: float = CHECK_SECONDS) -> None:
    """The census-check job, started every `every` seconds as the scheduler starts it (whatever a run takes).
    `h`: a hospital of this bench or of scripts/bench_push.py (its stop, scheduler and job_errors)."""
    next_at = time.perf_counter() + every
    while not h.stop.wait(max(0.0, next_at - time.perf_counter())):
        next_at += every
        try:
            check_census(h.scheduler)
        except FhirError as e:
            h.job_errors.append(e.message)


def run_changer(h: Hospital, seed: FhirGateway, marker: str = "BENCH") -> None:
    """One change a second on a random unit, on the server (not through a kiosk): an occupant's family name
    becomes `marker` and a number, which a screen shows once it has the change."""
    number = 0
    while not h.stop.wait(1.0):
        number += 1
        unit = random.randrange(len(h.patients))
        patient_id = random.choice(h.patients[unit])
        try:
            patient = seed.client.read("Patient", patient_id)
            name = dict(patient["name"][0])
            name["family"] = f"{marker.title()}{number}"
            seed.client.update({**patient, "name": [name, *patient["name"][1:]]},
                               version=str(patient["meta"]["versionId"]))
        except FhirError as e:
            h.job_errors.append(f"change: {e.message}")
            continue
        h.changes[f"{marker}{number}"] = (unit, time.perf_counter())


def phase(h: Hospital, seed: FhirGateway, with_changes: bool) -> tuple[float, int, int]:
    """Runs the screens (and the changer) for PHASE_SECONDS: FHIR requests per minute, polls, errors."""
    h.stop.clear()
    start = time.perf_counter()
    before = h.fhir_requests()
    threads = [threading.Thread(target=run_screen, args=(h, s, start), daemon=True) for s in h.screens]
    threads.append(threading.Thread(target=run_scheduler, args=(h,), daemon=True))
    if with_changes:
        threads.append(threading.Thread(target=run_changer, args=(h, seed), daemon=True))
    polls_before = sum(s.polls for s in h.screens)
    errors_before = sum(s.errors for s in h.screens)
    for t in threads:
        t.start()
    time.sleep(PHASE_SECONDS)
    h.stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    per_minute = (h.fhir_requests() - before) * 60 / elapsed
    # The changer's own reads and writes are not the kiosk's: they go through the seed gateway.
    return per_minute, sum(s.polls for s in h.screens) - polls_before, sum(s.errors for s in h.screens) - errors_before


def delays(h: Hospital) -> list[float]:
    out = []
    for marker, (unit, changed_at) in h.changes.items():
        for screen in h.screens:
            if screen.unit == unit and marker in screen.seen:
                out.append(screen.seen[marker] - changed_at)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    if "--help" in sys.argv or "-h" in sys.argv:
        print(__doc__)
        return
    use_test_pin_hashing()  # 200 screens sign in: PIN hashing is not what is measured here
    logging.getLogger("kiosk").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            settings = make_settings(server.base_url, tmp / "seed.db", KIOSK_FHIR_READ_TIMEOUT="120")
            seed = FhirGateway.from_settings(settings)
            seed.client.transaction(DemoBuilder(seed.identifiers, first_number=1).site_transaction())
            if "--hospital-only" not in sys.argv:
                count_rows, timings = counts_and_times(server.base_url, tmp, seed,
                                                       counts="--times-only" not in sys.argv)
                print_units(count_rows, timings)
            if "--units-only" in sys.argv or "--times-only" in sys.argv:
                return
            hospital = build_hospital(server.base_url, tmp, seed)
            quiet = phase(hospital, seed, with_changes=False)
            busy = phase(hospital, seed, with_changes=True)
            print_hospital(hospital, quiet, busy)
            seed.close()
        finally:
            server.stop()


def print_units(count_rows: list[tuple], timings: list[Timing]) -> None:
    if count_rows:
        print("| beds | board, census read again | board, nothing changed | poll, nothing changed (204) | "
              "bed panel | block a bed (POST) |")
        print("| --- | --- | --- | --- | --- | --- |")
        for row in count_rows:
            print("| " + " | ".join(str(v) for v in row) + " |")
        print()
    median = statistics.median
    print(f"{ROUNDS} interleaved rounds; medians; ratios are the medians of the rounds' ratios.")
    print()
    print("| beds | board fragment, census read again, ms | bare fetch of the census (6 requests), ms | ratio | "
          "bare fetch of the board's requests (8), ms | ratio, same requests | the kiosk's own time, ms "
          "(mean of it in garbage collection) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t in timings:
        print(f"| {t.beds} | {median(t.board_ms):.1f} | {median(t.bare_census_ms):.1f} "
              f"({t.census_requests}) | {t.ratio(t.bare_census_ms):.2f}x | {median(t.bare_board_ms):.1f} "
              f"({t.board_requests}) | {t.ratio(t.bare_board_ms):.2f}x | {median(t.own_ms):.1f} "
              f"({statistics.mean(t.gc_ms):.1f}) |")
    print()
    print("| beds | poll, nothing changed (204), with the look, median ms | the same poll with the scheduler "
          "looking, median ms (FHIR requests) |")
    print("| --- | --- | --- |")
    for t in timings:
        print(f"| {t.beds} | {median(t.poll_ms):.1f} | {median(t.quiet_ms):.1f} ({t.quiet_requests}) |")
    print(flush=True)


def print_hospital(hospital: Hospital, quiet: tuple[float, int, int], busy: tuple[float, int, int]) -> None:
    waits = delays(hospital)
    expected = sum(1 for unit, _ in hospital.changes.values() for s in hospital.screens if s.unit == unit)
    units = len(hospital.units)
    print(f"{SCREENS} screens on {units} units (600 beds), each polling every {POLL_SECONDS:g} s; census-check "
          f"every {CHECK_SECONDS:g} s; {PHASE_SECONDS:g} s per phase.")
    print()
    print("| phase | FHIR requests per minute (all screens and the job) | per unit per minute | polls | errors |")
    print("| --- | --- | --- | --- | --- |")
    for name, (per_minute, polls, errors) in (("no changes", quiet), ("one change per second", busy)):
        print(f"| {name} | {per_minute:.0f} | {per_minute / units:.1f} | {polls} | {errors} |")
    print()
    if waits:
        print(f"Change on the server to the change on a screen ({len(waits)} of {expected} screen-changes seen): "
              f"p50 {percentile(waits, 0.5):.1f} s, p95 {percentile(waits, 0.95):.1f} s, "
              f"max {max(waits):.1f} s.")
    print(f"Census-check and change errors: {len(hospital.job_errors)} {hospital.job_errors[:3]}", flush=True)
    problems = sorted({p for s in hospital.screens for p in s.problems})
    if problems:
        print(f"Poll errors: {problems[:5]}", flush=True)


if __name__ == "__main__":
    main()
