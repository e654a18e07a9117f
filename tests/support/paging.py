"""Real receivers for pages: an SMTP server (aiosmtpd) and an HTTP webhook receiver, each on a fixed
loopback port that can be stopped and started again (a receiver that is down, then up), plus the
demo's PractitionerRoles on the test FHIR server and the kiosk settings that point paging at them."""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kiosk.demo.paging import roles_transaction
from kiosk.fhir.gateway import FhirGateway
from kiosk.paging.oncall import ON_CALL_FILE
from kiosk.web.signed import BadSignature, verify
from tests.support.sekmet import free_port

WEBHOOK_SECRET = "test-webhook-secret-0123456789"
_roles_loaded: set[str] = set()


def load_roles(gw: FhirGateway, settings: Any) -> str:
    """The demo's nurses and PractitionerRoles on the test server (once per server); the role system."""
    system = ON_CALL_FILE.read(settings).role_system
    if gw.client.base_url not in _roles_loaded:
        gw.client.transaction(roles_transaction(gw.identifiers, system))
        _roles_loaded.add(gw.client.base_url)
    return system


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)

    @property
    def key(self) -> str:
        return str(self.message.get("X-Kiosk-Message"))


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.sink.rcpt_reply:
            return self.sink.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
            self.sink.arrived.set()
        return "250 OK queued"


@dataclass
class SmtpSink:
    """aiosmtpd on a fixed port: `stop()` then `start()` again is a mail server that was down."""

    port: int = field(default_factory=free_port)
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None
    #: Answer RCPT TO with this instead of accepting ("451 try later", "550 no such user").
    rcpt_reply: str | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 20) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.mails)} mail(s) arrived, not {count}, within {timeout} s")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    """A messaging platform's endpoint: records every POST, checks its signature, answers `status`."""

    def __init__(self, secret: str = WEBHOOK_SECRET, port: int | None = None):
        self.secret = secret
        self.port = port or free_port()
        self.received: list[Received] = []
        self.status = 200
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pages"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    verify(receiver.secret, headers, body)
                    ok = True
                except BadSignature:
                    ok = False
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, ok))
                    status = receiver.status
                answer = json.dumps({"id": f"platform-{len(receiver.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} request(s) arrived, not {count}, within {timeout} s")


def paging_env(smtp_port: int, webhook_url: str = "", **more: str) -> dict[str, str]:
    """Kiosk settings (environment overrides) that page through these receivers."""
    env = {"KIOSK_PAGING_SMTP_HOST": "127.0.0.1", "KIOSK_PAGING_SMTP_PORT": str(smtp_port),
           "KIOSK_PAGING_SMTP_TIMEOUT_SECONDS": "5", "KIOSK_PAGING_WEBHOOK_URL": webhook_url,
           "KIOSK_PAGING_WEBHOOK_SECRET": WEBHOOK_SECRET, "KIOSK_PAGING_PUBLIC_URL": "http://kiosk.test"}
    return {**env, **more}


# ---------------------------------------------------------------- the compose screen, from a test client

_RECIPIENT = re.compile(r'name="recipient" value="([^"]+)"[^>]*>\s*<span class="recipient-name">([^<]+)</span>\s*'
                        r'<span class="recipient-role">([^<]*)</span>')
_GROUP = re.compile(r'<h2 class="recipient-group">([^<]+)</h2>')


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    if not match:
        raise AssertionError(f"no field {name} on the page")
    return unescape(match.group(1))


def recipients_on(html: str) -> list[tuple[str, str, str]]:
    """(form value, name, why) of every recipient offered, in screen order."""
    return [(unescape(v), unescape(n), unescape(w)) for v, n, w in _RECIPIENT.findall(html)]


def preview_text(html: str) -> str:
    match = re.search(r'<p class="pager-screen" data-preview>([^<]*)</p>', html)
    if not match:
        raise AssertionError("no preview on the page")
    return unescape(match.group(1))


def compose_form(html: str, **choices: str) -> dict[str, str]:
    """The compose form's fields as drawn, with the person's choices on top (recipient, urgency ...)."""
    data = {name: field_value(html, name) for name in ("csrf_token", "public_id", "patient_id", "encounter_id",
                                                       "about_room", "about_initials", "callback")}
    data.update(urgency="routine", template="", free_text="")
    data.update(choices)
    return data


def send_page(client: Any, compose_path: str, pick: Callable[[list[tuple[str, str, str]]], str],
              **choices: str) -> tuple[Any, str]:
    """Draw the compose screen, choose, preview (as the screen does) and send; (response, previewed text)."""
    html = client.get(compose_path).get_data(as_text=True)
    form = compose_form(html, recipient=pick(recipients_on(html)), **choices)
    preview = client.post("/paging/preview", data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    form["preview_hash"] = field_value(preview, "preview_hash")
    return client.post("/paging/send", data=form), preview_text(preview)


class DroppingSmtp:
    """An SMTP server that takes a whole message and then drops the connection without answering it:
    the message may or may not have been delivered (the kiosk must not send it again by itself)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages = 0
        self.server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> DroppingSmtp:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 dropping.test ESMTP\r\n")
                in_data = False
                for raw in self.rfile:
                    line = raw.rstrip(b"\r\n")
                    if in_data:
                        if line == b".":
                            owner.messages += 1
                            return  # the whole message arrived; close without a reply
                        continue
                    verb = line.split(b" ", 1)[0].upper()
                    if verb == b"DATA":
                        in_data = True
                        self.wfile.write(b"354 go ahead\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# ---------------------------------------------------------------- fixtures (a pytest plugin: tests/conftest.py)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server for the test, up."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A messaging platform's endpoint for the test, up."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
