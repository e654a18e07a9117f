"""`kiosk serve`: the real gunicorn with the production worker settings, its control socket, and what it
answers while the FHIR server is slow."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk import HTMX_ASSET
from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.fhir.gateway import FhirGateway
from tests.support.latency_proxy import LatencyProxy
from tests.support.sekmet import SekmetServer
from tests.support.served import kiosk_env, run_kiosk, serve, sign_in_http


def settings_env(demo_settings: Settings, db: Path) -> dict[str, str]:
    return {"KIOSK_FHIR_BASE_URL": demo_settings.fhir.base_url, "KIOSK_DATABASE_URL": f"sqlite:///{db}",
            "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production"}


def answers(url: str) -> bool:
    return httpx.get(url + "/sign-in", timeout=10).status_code == 200


def control_socket_answers(path: Path, within: float = 0) -> bool:
    """Whether a gunicorn control socket accepts a connection at `path` (gunicorn opens it just after its
    workers start: wait up to `within` seconds for it)."""
    deadline = time.monotonic() + within
    while True:
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(str(path))
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    return False
        time.sleep(0.1)


def test_two_kiosks_under_one_user_do_not_share_a_control_socket(demo_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shared = home / ".gunicorn" / "gunicorn.ctl"
    base = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
    first = serve(kiosk_env(settings_env(demo_settings, tmp_path / "a.db"), **base), tmp_path, "first")
    second = serve(kiosk_env(settings_env(demo_settings, tmp_path / "b.db"), **base), tmp_path, "second")
    try:
        assert answers(first.url) and answers(second.url)
        assert not shared.exists()  # by default: no control socket at all
    finally:
        first.stop()
        second.stop()
    own = {name: tmp_path / f"{name}.ctl" for name in ("one", "two")}
    runs = {name: serve(kiosk_env(settings_env(demo_settings, tmp_path / f"{name}.db"), **base,
                                  KIOSK_WEB_CONTROL_SOCKET=str(path)), tmp_path, name)
            for name, path in own.items()}
    try:
        assert all(control_socket_answers(path, within=30) for path in own.values())
        runs["one"].stop()
        assert not own["one"].exists() and control_socket_answers(own["two"])  # the other keeps its own
        assert answers(runs["two"].url) and not shared.exists()
    finally:
        for run in runs.values():
            run.stop()


@pytest.fixture
def slow_fhir(sekmet: SekmetServer, gateway: FhirGateway) -> Iterator[LatencyProxy]:
    """The session's FHIR server (demo hospital loaded) behind a proxy the test can hold."""
    proxy = LatencyProxy(sekmet.base_url).start()
    yield proxy
    proxy.stop()


def test_under_slow_fhir_sign_in_healthz_and_static_files_never_wait(
        demo_settings: Settings, slow_fhir: LatencyProxy, tmp_path: Path) -> None:
    """gunicorn with the production settings (2 workers x 4 threads); every FHIR request held at the
    proxy; 20 boards poll. Polls beyond the FHIR slots are answered "not up to date" after waiting a second
    for one; sign-in,
    /healthz and static files answer while every FHIR request is still held; a person's page still
    gets a slot; nothing is lost when the server answers again."""
    env = kiosk_env({**settings_env(demo_settings, tmp_path / "kiosk.db"), "KIOSK_FHIR_BASE_URL": slow_fhir.base_url,
                     "KIOSK_FHIR_READ_TIMEOUT": "120"})  # held requests wait for the test, not a timeout
    assert run_kiosk("user", "demo", env=env).returncode == 0
    kiosk = serve(env, tmp_path)
    boards = [sign_in_http(httpx.Client(base_url=kiosk.url, timeout=60)) for _ in range(20)]
    answers: dict[int, httpx.Response] = {}
    try:
        for board in boards:
            assert board.get("/healthz").status_code == 200  # both workers have probed the server once
        slow_fhir.hold()
        htmx = {"HX-Request": "true", "X-Board-Fingerprint": "0" * 32}

        def poll(n: int) -> None:
            answers[n] = boards[n].get("/beds/board", headers=htmx)

        polls = [threading.Thread(target=poll, args=(n,)) for n in range(20)]
        for thread in polls:
            thread.start()
        # At most fhir_slots - 1 = 2 polls per worker hold a slot (waiting for the server); the others are
        # answered at once: "not up to date", nothing swapped.
        deadline = time.monotonic() + 30
        while len(answers) < 20 - 2 * 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        refused = list(answers.values())
        assert len(refused) >= 16 and slow_fhir.in_flight >= 1
        for r in refused:
            assert r.status_code == 503 and r.headers["HX-Reswap"] == "none"
            assert "answering slowly" in r.headers["X-Poll-Problem"]

        # With every FHIR request still held: these answer, quickly (a 5 s limit, not the 10 s FHIR timeout).
        person = httpx.Client(base_url=kiosk.url, timeout=5)
        assert person.get("/sign-in").status_code == 200
        assert person.get("/static/js/kiosk.js").status_code == 200
        assert person.get(f"/static/{HTMX_ASSET}").status_code == 200
        assert person.get("/healthz").json()["checks"]["database"]["ok"]
        # The staff page's locked badges (a charge nurse unlocks them) need no FHIR.
        assert sign_in_http(person, Role.CHARGE_NURSE).get("/staff/").status_code == 200

        # A person opening the board still finds a slot (one per worker is kept from polls): it waits for
        # the server like the held polls, and is not refused.
        page: dict[str, httpx.Response] = {}
        opener = threading.Thread(target=lambda: page.update(board=boards[0].get("/beds/")))
        opener.start()
        opener.join(1)
        slow_fhir.release()
        opener.join(60)
        for thread in polls:
            thread.join(60)
        assert page["board"].status_code == 200 and "4 West" in page["board"].text
        late = [answers[n] for n in range(20) if answers[n] not in refused]
        assert [r.status_code for r in late] == [200] * len(late)  # the held polls got their board
    finally:
        slow_fhir.release()
        for board in boards:
            board.close()
        kiosk.stop()
