"""What people wait for while the FHIR server is slow (`.venv/bin/python scripts/bench_slow_fhir.py`).

Starts its own sekmet-fhir (demo hospital) behind a latency proxy that adds `--latency` seconds to
every FHIR request, runs the real `kiosk serve` (gunicorn with the production worker settings from
config/kiosk.toml), signs in `--boards` bed boards that poll like the page does (every 15 s, or at once
when the last poll took longer), and meanwhile measures, once a second, how long `/sign-in`,
`/healthz` and a static file take, and every 10 s a person opening the board. Prints a Markdown table
for docs/benchmarks.md.

`--kiosk-root PATH` serves the kiosk of another checkout (for a before/after comparison; e.g.
`git archive <commit> kiosk config | tar -x -C /tmp/before`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from kiosk.demo.loader import load_demo  # noqa: E402
from kiosk.fhir.gateway import FhirGateway  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.latency_proxy import LatencyProxy  # noqa: E402
from tests.support.sekmet import start_sekmet  # noqa: E402
from tests.support.served import kiosk_env, run_kiosk, serve, sign_in_http  # noqa: E402

POLL_EVERY = 15.0
HTMX = {"HX-Request": "true", "X-Board-Fingerprint": "0" * 32}


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.statuses: dict[str, Counter[str]] = {}

    def timed(self, name: str, client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> None:
        started = time.monotonic()
        try:
            status = str(client.get(path, headers=headers or {}).status_code)
        except httpx.HTTPError as e:
            status = type(e).__name__
        took = time.monotonic() - started
        with self.lock:
            self.times.setdefault(name, []).append(took)
            self.statuses.setdefault(name, Counter())[status] += 1


def board(rec: Recorder, client: httpx.Client, stop: threading.Event, offset: float) -> None:
    stop.wait(offset)
    while not stop.is_set():
        started = time.monotonic()
        rec.timed("board poll", client, "/beds/board", HTMX)
        stop.wait(max(0.0, POLL_EVERY - (time.monotonic() - started)))


def prober(rec: Recorder, url: str, stop: threading.Event, person: httpx.Client) -> None:
    plain = httpx.Client(base_url=url, timeout=120)
    tick = 0
    while not stop.is_set():
        for name, path in (("/sign-in", "/sign-in"), ("/healthz", "/healthz"), ("static file", "/static/js/kiosk.js")):
            threading.Thread(target=rec.timed, args=(name, plain, path), daemon=True).start()
        if tick % 10 == 5:
            threading.Thread(target=rec.timed, args=("person opens the board", person, "/beds/"), daemon=True).start()
        tick += 1
        stop.wait(1.0)


def run(latency: float, boards: int, seconds: float, kiosk_root: Path) -> Recorder:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        fhir = start_sekmet(workdir / "sekmet")
        proxy = LatencyProxy(fhir.base_url).start()
        kiosk = None
        try:
            gw = FhirGateway.from_settings(make_settings(fhir.base_url, workdir / "seed.db"))
            load_demo(gw, say=lambda _line: None)
            gw.close()
            env = kiosk_env({"KIOSK_FHIR_BASE_URL": proxy.base_url,
                             "KIOSK_DATABASE_URL": f"sqlite:///{workdir / 'k.db'}",
                             "KIOSK_WEB_SECRET_KEY": "bench-secret-key-not-for-production"})
            done = run_kiosk("user", "demo", env=env, root=kiosk_root)
            assert done.returncode == 0, done.stderr
            kiosk = serve(env, workdir, root=kiosk_root)
            clients = [sign_in_http(httpx.Client(base_url=kiosk.url, timeout=120)) for _ in range(boards + 1)]
            proxy.delay = latency
            rec, stop = Recorder(), threading.Event()
            threads = [threading.Thread(target=board, args=(rec, c, stop, i * POLL_EVERY / boards), daemon=True)
                       for i, c in enumerate(clients[:boards])]
            threads.append(threading.Thread(target=prober, args=(rec, kiosk.url, stop, clients[-1]), daemon=True))
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            proxy.delay = 0
            for t in threads:
                t.join(60)
            time.sleep(2)  # the probes' own threads finish
            return rec
        finally:
            if kiosk is not None:
                kiosk.stop()
            proxy.stop()
            fhir.stop()


def table(rec: Recorder) -> str:
    lines = ["| request | count | median s | p95 s | max s | answers |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name in ("/sign-in", "/healthz", "static file", "person opens the board", "board poll"):
        times = sorted(rec.times.get(name, []))
        if not times:
            continue
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(rec.statuses[name].items()))
        lines.append(f"| {name} | {len(times)} | {statistics.median(times):.2f} | {p95:.2f} | {times[-1]:.2f} | "
                     f"{answers} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=3.0, help="seconds added to every FHIR request")
    parser.add_argument("--boards", type=int, default=20, help="bed boards polling")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure")
    parser.add_argument("--kiosk-root", type=Path, default=ROOT, help="the checkout whose kiosk is served")
    args = parser.parse_args()
    rec = run(args.latency, args.boards, args.seconds, args.kiosk_root)
    print(f"FHIR at +{args.latency:g} s per request, {args.boards} boards polling, {args.seconds:g} s, "
          f"kiosk from {args.kiosk_root}:\n")
    print(table(rec))


if __name__ == "__main__":
    main()
