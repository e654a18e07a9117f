"""Benchmark of push (`.venv/bin/python scripts/bench_push.py`): a 600-bed hospital (19 units) watched by
SCREENS live screens, with the FHIR server's rest-hook Subscriptions and Server-Sent Events (kiosk/push).

- Starts its own sekmet-fhir (in-memory store) and serves one kiosk per unit over real HTTP from this
  process (werkzeug, threaded), all on one SQLite database: 19 instances sharing one census.
- The push-subscriptions job subscribes the first kiosk; sekmet-fhir posts its notifications there. The
  census-check job also runs every CHECK_SECONDS, as config/scheduler.toml schedules it.
- Each screen signs in, opens its board's event stream over HTTP (httpx), and on each `census` event asks
  for the board fragment with its fingerprint, as live.js and htmx do in the browser; no screen polls on a
  timer (a live screen's check every push.live_check_seconds is longer than a phase).
- Two phases of PHASE_SECONDS: no changes, then one change a second (an occupant's family name changed on
  the server, on a random unit). A refresh that fails is tried again 3 s later, as live.js does. Prints
  FHIR requests per minute (the kiosks' and the jobs'), the time
  from each change on the server to the new name on each screen of its unit (p50 / p95 / max), the
  streams that dropped and the errors, as Markdown for docs/benchmarks.md.
`--no-subscriptions`: no rest-hook subscriptions, the census-check job alone looks, every 2 s (a server
without subscriptions: the screens are still live, the look is scheduled). BENCH_CHECK_SECONDS: the job's
interval instead (5 s with subscriptions, 2 s without). The delay is also given in two parts: from the change
to the first read of its unit's census after it, and from that read to the screen.
`--postgresql`: the kiosks and the job on PostgreSQL instead (a throwaway cluster, as the tests start when
no server answers, allowing 1,000 connections: 19 instances in one process hold a pool each), where the
screens are told of a new census by NOTIFY. BENCH_WATCH_MS: each kiosk's timed look at the census versions
(push.watch_ms, 500 by default).
Figures vary with the machine: compare runs on the same machine.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from flask import Flask  # noqa: E402

from kiosk.auth.services import use_test_pin_hashing  # noqa: E402
from kiosk.beds.services import load_board  # noqa: E402
from kiosk.beds.settings import BedSettings  # noqa: E402
from kiosk.census.jobs import check_census  # noqa: E402
from kiosk.census.store import CensusStore  # noqa: E402
from kiosk.demo.hospital import DemoBuilder, plan_units  # noqa: E402
from kiosk.extensions import database, services  # noqa: E402
from kiosk.fhir.census import Census  # noqa: E402
from kiosk.fhir.gateway import FhirGateway, UnitRef  # noqa: E402
from kiosk.figures import nearest_rank  # noqa: E402
from kiosk.push.jobs import keep_push_subscriptions  # noqa: E402
from kiosk.scheduler.context import JobContext  # noqa: E402
from scripts.bench_scale import kiosk_app, run_changer, run_scheduler  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.auth import sign_in_client  # noqa: E402
from tests.support.browser import LiveServer  # noqa: E402
from tests.support.postgres import server_binaries, start_cluster  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402

SCREENS = int(os.environ.get("BENCH_SCREENS", "200"))
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "40"))
PUSHED = "--no-subscriptions" not in sys.argv
CHECK_SECONDS = float(os.environ.get("BENCH_CHECK_SECONDS", "5" if PUSHED else "2"))
FINGERPRINT = re.compile(r'"X-Board-Fingerprint": "([0-9a-f]+)"')
EVENTS = re.compile(r'sse-connect="([^"]+)"')


@dataclass
class Screen:
    unit: int
    url: str
    events: str
    cookies: dict[str, str]
    fingerprint: str
    refreshes: int = 0
    errors: int = 0
    #: Stream opens refused (the browser's EventSource opens it again).
    refused: int = 0
    drops: int = 0
    problems: list[str] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)
    #: When each `census` event reached the screen.
    heard: list[float] = field(default_factory=list)


@dataclass
class Hospital:
    apps: list[Flask]
    servers: list[LiveServer]
    scheduler: JobContext
    screens: list[Screen]
    patients: list[list[str]]
    #: Each unit's Location id, by unit number.
    unit_ids: list[str]
    changes: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: (unit's Location id, when) of every census read from the server (kiosks' and the job's).
    reads: list[tuple[str, float]] = field(default_factory=list)
    job_errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def fhir_requests(self) -> int:
        kiosks = 0
        for app in self.apps:
            with app.app_context():
                kiosks += services().gateway().client.total_requests
        return kiosks + self.scheduler.gateway.client.total_requests


def build(base_url: str, db_url: str, seed: FhirGateway) -> Hospital:
    builder = DemoBuilder(seed.identifiers, first_number=900_000_000)
    units = []
    for plan in plan_units(600):
        seed.client.transaction(builder.unit_transaction(plan))
        units.append(UnitRef(system=seed.identifiers.location, value=plan.code))
    env = {"KIOSK_CENSUS_TRUST_SECONDS": "30", "KIOSK_CENSUS_OVERLAP_MS": "1000", "KIOSK_WEB_EVENT_STREAMS": "64",
           "KIOSK_PUSH_WATCH_MS": os.environ.get("BENCH_WATCH_MS", "500")}
    apps = [kiosk_app(base_url, db_url, ref, **env) for ref in units]
    servers = [LiveServer(app).start() for app in apps]
    with apps[0].app_context():
        settings = services().settings
        scheduler = JobContext(settings=dataclasses.replace(settings, push=dataclasses.replace(
            settings.push, notify_url=servers[0].url + "/push/fhir")), database=database(),
            gateway=FhirGateway.from_settings(settings), log=logging.getLogger("bench.scheduler"))
    if PUSHED:
        print(keep_push_subscriptions(scheduler), file=sys.stderr)
    check_census(scheduler)
    patients, unit_ids = [], []
    for app in apps:
        with app.app_context():
            board = load_board(services().gateway(), BedSettings())
        unit_ids.append(board.unit_id)
        patients.append([t.patient.patient_id for t in board.tiles.values() if t.patient and t.patient.patient_id])
    screens = []
    for s in range(SCREENS):
        unit = s % len(apps)
        client = sign_in_client(apps[unit].test_client())
        cookie = client.get_cookie(apps[unit].config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        page = client.get("/beds/").get_data(as_text=True)
        found, events = FINGERPRINT.search(page), EVENTS.search(page)
        assert found is not None and events is not None
        screens.append(Screen(unit=unit, url=servers[unit].url, events=events.group(1).replace("&amp;", "&"),
                              cookies={cookie.key: cookie.value}, fingerprint=found.group(1)))
    return Hospital(apps, servers, scheduler, screens, patients, unit_ids)


def record_reads(h: Hospital) -> None:
    """Every census read from the server from now on is noted in `h.reads` (for the delay's two parts)."""
    read = CensusStore.refresh

    def noted(store: CensusStore, gw: FhirGateway, unit_id: str, dirty: int) -> Census:
        census = read(store, gw, unit_id, dirty)
        h.reads.append((unit_id, time.perf_counter()))
        return census

    CensusStore.refresh = noted  # type: ignore[method-assign]


def delay_parts(h: Hospital) -> tuple[list[float], list[float], list[float]]:
    """Per screen-change seen: from the change to the first read of its unit's census after it, from that
    read to the screen, and of that, from the read to the screen's first event after it."""
    reads: dict[str, list[float]] = {}
    for unit_id, at in h.reads:
        reads.setdefault(unit_id, []).append(at)
    to_read, to_screen, to_event = [], [], []
    for marker, (unit, changed_at) in h.changes.items():
        read_at = next((at for at in sorted(reads.get(h.unit_ids[unit], [])) if at > changed_at), None)
        if read_at is None:
            continue
        for screen in h.screens:
            if screen.unit == unit and marker in screen.seen:
                to_read.append(read_at - changed_at)
                to_screen.append(screen.seen[marker] - read_at)
                heard = next((at for at in screen.heard if at > read_at), None)
                if heard is not None and heard <= screen.seen[marker]:
                    to_event.append(heard - read_at)
    return to_read, to_screen, to_event


def refresh(h: Hospital, screen: Screen, http: httpx.Client) -> None:
    """The board fragment, as htmx asks for it; a failed refresh is tried again after 3 s (live.js)."""
    for _ in range(5):
        response = http.get(screen.url + "/beds/board", headers={"HX-Request": "true",
                                                                 "X-Board-Fingerprint": screen.fingerprint})
        screen.refreshes += 1
        if response.status_code < 500:
            break
        screen.errors += 1
        screen.problems.append(f"{response.status_code} {response.headers.get('X-Poll-Problem', '')}"[:120])
        h.stop.wait(3)
    if response.status_code == 204:
        return
    if response.status_code != 200:
        screen.errors += 1
        screen.problems.append(f"{response.status_code}")
        return
    found = FINGERPRINT.search(response.text)
    if found:
        screen.fingerprint = found.group(1)
    now = time.perf_counter()
    for marker in re.findall(r"PUSH\d+", response.text):
        screen.seen.setdefault(marker, now)


def run_screen(h: Hospital, screen: Screen) -> None:
    """The browser: the event stream open, the board fragment fetched at each census event."""
    with httpx.Client(cookies=screen.cookies, timeout=httpx.Timeout(30, read=60)) as http:
        while not h.stop.is_set():
            try:
                with http.stream("GET", screen.url + screen.events) as stream:
                    if stream.status_code != 200:
                        screen.refused += 1
                        screen.problems.append(f"stream {stream.status_code}")
                        h.stop.wait(3)
                        continue
                    for line in stream.iter_lines():
                        if h.stop.is_set():
                            return
                        if line.startswith("event: census"):
                            screen.heard.append(time.perf_counter())
                            refresh(h, screen, http)
                screen.drops += 1
            except httpx.HTTPError as e:
                screen.drops += 1
                screen.problems.append(type(e).__name__)
                h.stop.wait(3)


def phase(h: Hospital, seed: FhirGateway, with_changes: bool) -> tuple[float, int, int]:
    h.stop.clear()
    threads = [threading.Thread(target=run_screen, args=(h, s), daemon=True) for s in h.screens]
    threads.append(threading.Thread(target=run_scheduler, args=(h, CHECK_SECONDS), daemon=True))
    for t in threads:
        t.start()
    time.sleep(5)  # every stream open (or refused and opened again 3 s later) before counting
    start = time.perf_counter()
    before = h.fhir_requests()
    refreshes_before = sum(s.refreshes for s in h.screens)
    errors_before = sum(s.errors for s in h.screens)
    changer = threading.Thread(target=run_changer, args=(h, seed, "PUSH"), daemon=True)
    if with_changes:
        changer.start()
    time.sleep(PHASE_SECONDS)
    elapsed = time.perf_counter() - start
    per_minute = (h.fhir_requests() - before) * 60 / elapsed
    refreshes = sum(s.refreshes for s in h.screens) - refreshes_before
    time.sleep(3)  # the last changes' events
    h.stop.set()
    # The streams end at their next line (a comment comes every 15 s at most).
    for t in threads:
        t.join(timeout=20)
    return per_minute, refreshes, sum(s.errors for s in h.screens) - errors_before


def main() -> None:
    use_test_pin_hashing()
    logging.getLogger("kiosk").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_sekmet(tmp / "sekmet")
        try:
            seed = FhirGateway.from_settings(make_settings(server.base_url, tmp / "seed.db",
                                                           KIOSK_FHIR_READ_TIMEOUT="120"))
            seed.client.transaction(DemoBuilder(seed.identifiers, first_number=1).site_transaction())
            with ExitStack() as cleanup:
                if "--postgresql" in sys.argv:
                    binaries = server_binaries()
                    if binaries is None:
                        raise SystemExit("initdb is not installed (make system-deps)")
                    postgres = start_cluster(binaries, max_connections=1000)
                    cleanup.callback(postgres.stop)
                    db_url = cleanup.enter_context(postgres.fresh_database())
                else:
                    db_url = f"sqlite:///{tmp}/hospital.db"
                hospital = build(server.base_url, db_url, seed)
                record_reads(hospital)
                quiet = phase(hospital, seed, with_changes=False)
                busy = phase(hospital, seed, with_changes=True)
                report(hospital, quiet, busy)
                for live in hospital.servers:
                    live.stop()
                # The screens' watchers may still look while the database goes: not the bench's concern.
                logging.getLogger("kiosk").setLevel(logging.ERROR)
                for app in hospital.apps:
                    with app.app_context():
                        database().dispose()
            seed.close()
        finally:
            server.stop()


def report(h: Hospital, quiet: tuple[float, int, int], busy: tuple[float, int, int]) -> None:
    units = len(h.apps)
    waits = [screen.seen[marker] - changed_at for marker, (unit, changed_at) in h.changes.items()
             for screen in h.screens if screen.unit == unit and marker in screen.seen]
    expected = sum(1 for unit, _ in h.changes.values() for s in h.screens if s.unit == unit)
    how = "rest-hook notifications to the first" if PUSHED else "no subscriptions"
    print(f"{len(h.screens)} live screens on {units} units (600 beds), one kiosk per unit on one database; "
          f"{how}; census-check every {CHECK_SECONDS:g} s; {PHASE_SECONDS:g} s per phase.")
    print()
    print("| phase | FHIR requests per minute (all kiosks and the jobs) | per unit per minute | board refreshes | "
          "errors |")
    print("| --- | --- | --- | --- | --- |")
    for name, (per_minute, refreshes, errors) in (("no changes", quiet), ("one change per second", busy)):
        print(f"| {name} | {per_minute:.0f} | {per_minute / units:.1f} | {refreshes} | {errors} |")
    print()
    if waits:
        print(f"Change on the server to the change on a screen ({len(waits)} of {expected} screen-changes seen): "
              f"p50 {nearest_rank(waits, 0.5):.2f} s, p95 {nearest_rank(waits, 0.95):.2f} s, max {max(waits):.2f} s.")
        to_read, to_screen, to_event = delay_parts(h)
        if to_read:
            print(f"Of which: the change to its unit's census read again: p50 {nearest_rank(to_read, 0.5):.2f} s, "
                  f"p95 {nearest_rank(to_read, 0.95):.2f} s; that read to the screen: p50 "
                  f"{nearest_rank(to_screen, 0.5):.2f} s, p95 {nearest_rank(to_screen, 0.95):.2f} s (to the "
                  f"screen's event: p50 {nearest_rank(to_event, 0.5):.2f} s, "
                  f"p95 {nearest_rank(to_event, 0.95):.2f} s).")
    print(f"Stream opens refused (opened again 3 s later): {sum(s.refused for s in h.screens)}; streams that "
          f"dropped: {sum(s.drops for s in h.screens)}; job and change errors: {len(h.job_errors)} {h.job_errors[:3]}")
    problems = sorted({p for s in h.screens for p in s.problems})
    if problems:
        print(f"Screen problems: {problems[:5]}", flush=True)


if __name__ == "__main__":
    main()
