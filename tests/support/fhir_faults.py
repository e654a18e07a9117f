"""FHIR servers that misbehave, made from the real one: httpx transports that sit between the kiosk's
client and a real sekmet-fhir server (a small in-process proxy) and change one thing about it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class KeepsTheFirstEntry(httpx.BaseTransport):
    """A server that breaks transaction atomicity: it applies the first entry of a transaction (as the
    real server's own PUT or POST) and then fails the transaction with HTTP 500."""

    def __init__(self, base_url: str):
        self.inner = httpx.HTTPTransport()
        self.base = base_url.rstrip("/")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and str(request.url).rstrip("/") == self.base:
            bundle = json.loads(request.read())
            if bundle.get("type") == "transaction":
                first = bundle["entry"][0]
                headers = {"Content-Type": "application/fhir+json"}
                if first["request"].get("ifMatch"):
                    headers["If-Match"] = first["request"]["ifMatch"]
                self.inner.handle_request(httpx.Request(
                    first["request"]["method"], f"{self.base}/{first['request']['url']}", headers=headers,
                    content=json.dumps(first["resource"]).encode()))
                outcome = {"resourceType": "OperationOutcome",
                           "issue": [{"severity": "error", "code": "exception", "diagnostics": "storage failed"}]}
                return httpx.Response(500, json=outcome, request=request)
        return self.inner.handle_request(request)


class DiffersFromSekmet(httpx.BaseTransport):
    """A real server that behaves like others do: with `no_statement`, /metadata answers 404 (no
    CapabilityStatement); with `ignores_includes`, _include and _revinclude are dropped without a word;
    with `page_size` and `no_next`, searches come back in pages of that size with no `next` link (the
    server stops paging early). `refuses` lists search parameters answered with an OperationOutcome
    error ("Task:focus"). `metadata` (status, content type, body) is what /metadata answers instead of
    the server's statement: a 500, or a 200 that is not a CapabilityStatement. Everything else goes to the
    real server."""

    def __init__(self, *, no_statement: bool = False, ignores_includes: bool = False, page_size: int | None = None,
                 no_next: bool = False, refuses: tuple[str, ...] = (), metadata: tuple[int, str, bytes] | None = None):
        self.inner = httpx.HTTPTransport()
        self.no_statement = no_statement
        self.metadata = metadata
        self.ignores_includes = ignores_includes
        self.page_size = page_size
        self.no_next = no_next
        self.refuses = refuses

    def _params(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.ignores_includes:
            params = [(k, v) for k, v in params if not k.startswith(("_include", "_revinclude"))]
        if self.page_size:
            params = [(k, v) for k, v in params if k != "_count"] + [("_count", str(self.page_size))]
        return params

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.no_statement and path.endswith("/metadata"):
            return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "not-found", "diagnostics": "no metadata here"}]}, request=request)
        if self.metadata is not None and path.endswith("/metadata"):
            status, content_type, body = self.metadata
            return httpx.Response(status, headers={"Content-Type": content_type}, content=body, request=request)
        is_search = (request.method == "GET" and "?" in str(request.url)) or path.endswith("/_search")
        if is_search:
            resource_type = path.rstrip("/").removesuffix("/_search").rsplit("/", 1)[-1]
            body = request.read().decode() if path.endswith("/_search") else ""
            params = httpx.QueryParams(body) if body else request.url.params
            pairs = self._params(list(params.multi_items()))
            if any(f"{resource_type}:{k.split(':')[0].split('.')[0]}" in self.refuses for k, _ in pairs):
                return httpx.Response(400, json={"resourceType": "OperationOutcome", "issue": [
                    {"severity": "error", "code": "not-supported", "diagnostics": "parameter not supported"}]},
                    request=request)
            if path.endswith("/_search"):
                content = str(httpx.QueryParams(pairs)).encode()
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = httpx.Request("POST", request.url, headers=headers, content=content)
            else:
                request = httpx.Request("GET", request.url.copy_with(params=pairs), headers=request.headers)
        response = self.inner.handle_request(request)
        if is_search and self.no_next:
            bundle = json.loads(response.read())
            bundle["link"] = [link for link in bundle.get("link", []) if link.get("relation") != "next"]
            return httpx.Response(response.status_code, json=bundle, request=request)
        return response


def is_write(request: httpx.Request, base_url: str) -> bool:
    """A request that changes the server: PUT, PATCH, DELETE, a create (POST to a type), or a
    transaction Bundle (a batch, as the change mechanism's re-read sends, is a read)."""
    path = request.url.path
    if request.method in ("PUT", "PATCH", "DELETE"):
        return True
    if request.method != "POST" or path.endswith("/_search"):
        return False
    if str(request.url).rstrip("/") == base_url.rstrip("/"):
        return json.loads(request.read()).get("type") == "transaction"
    return True


class LosesTheWriteAnswer(httpx.BaseTransport):
    """A server whose answer to every write is lost, with a look at the kiosk at the moment the write
    arrives: `on_write(request)` is called first (a test reads what the kiosk committed before it sent
    the write), then the write goes to the real server when `applied`, and the kiosk gets a read
    timeout either way (sent, no answer: as a server that hangs until the kiosk gives up). Reads go
    through untouched."""

    def __init__(self, base_url: str, on_write: Callable[[httpx.Request], None], *, applied: bool = False):
        self.inner = httpx.HTTPTransport()
        self.base = base_url.rstrip("/")
        self.on_write = on_write
        self.applied = applied

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_write(request, self.base):
            return self.inner.handle_request(request)
        self.on_write(request)
        if self.applied:
            self.inner.handle_request(request).close()
        raise httpx.ReadTimeout("the FHIR server did not answer", request=request)


class ThenDown(httpx.BaseTransport):
    """`inner` until `writes` is not empty (LosesTheWriteAnswer's `on_write` adds to it), then no server at
    all: a write whose answer was lost, and a server that cannot be asked about it afterwards."""

    def __init__(self, inner: httpx.BaseTransport, writes: list[Any]):
        self.inner = inner
        self.writes = writes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.writes:
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)


class Watched(httpx.BaseTransport):
    """Passes every request on to `inner` (the real server by default) and keeps its method and URL,
    for tests that check what reaches a URL (no patient ids)."""

    def __init__(self, inner: httpx.BaseTransport | None = None):
        self.inner = inner or httpx.HTTPTransport()
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(f"{request.method} {request.url}")
        return self.inner.handle_request(request)


@contextmanager
def served(transport: httpx.BaseTransport, upstream: str) -> Iterator[str]:
    """`transport` in front of the real server at `upstream` as an HTTP server of its own on loopback, for
    what makes its own connections (a `kiosk` command); yields the base URL to use instead of `upstream`."""
    origin = httpx.URL(upstream).copy_with(path="/", query=None)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "content-length", "accept-encoding", "connection")}
            request = httpx.Request(self.command, origin.join(self.path), headers=headers, content=body)
            response = transport.handle_request(request)
            content = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{httpx.URL(upstream).path.rstrip('/')}"
    finally:
        server.shutdown()
        server.server_close()
