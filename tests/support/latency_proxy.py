"""A small HTTP proxy in front of the real FHIR server that makes it slow: a fixed delay per request,
and a gate that holds every request until it is opened (a deterministic "the server is not answering
yet", for tests that must not depend on timing). It counts the requests it is holding.

Loopback only; bodies that name the server's own base URL (paging links, fullUrls) are rewritten to
the proxy's, so that following a link stays behind the proxy.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.support.sekmet import free_port

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "content-encoding", "host"}


class LatencyProxy:
    def __init__(self, upstream_base: str, delay: float = 0.0) -> None:
        """`upstream_base` is the FHIR server's base URL (http://127.0.0.1:<port>/fhir)."""
        self.upstream_root = upstream_base.split("/fhir", 1)[0]
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/fhir"
        self.delay = delay
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.served = 0
        self._client = httpx.Client(timeout=120)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)

    def start(self) -> LatencyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def hold(self) -> None:
        """From now on every request waits until release()."""
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def wait_for_in_flight(self, count: int, timeout: float = 30) -> int:
        """Wait until at least `count` requests are being held or delayed; returns how many are."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.in_flight >= count:
                    return self.in_flight
            time.sleep(0.02)
        raise AssertionError(f"only {self.in_flight} FHIR requests reached the proxy within {timeout} s, "
                             f"not {count}")

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
        try:
            self.gate.wait()
            if self.delay:
                time.sleep(self.delay)
            return self._client.request(method, self.upstream_root + path, headers=headers, content=body)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.served += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    answer = proxy._forward(self.command, self.path, headers, body)
                except httpx.HTTPError:
                    self.send_error(502)
                    return
                content = answer.content.replace(proxy.upstream_root.encode(), proxy.root.encode())
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value.replace(proxy.upstream_root, proxy.root))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

            def log_message(self, *_args: Any) -> None:
                return

        return Handler
