"""A proxy in front of the real FHIR server that can stop answering and start again, on the same port:
a deterministic "the FHIR server is down" for the downtime census's tests.

`go_down()` closes the listening socket (new connections are refused) and drops the connections the
kiosk keeps open without answering; `come_back()` listens again on the same port.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.latency_proxy import LatencyProxy


class OutageProxy(LatencyProxy):
    def __init__(self, upstream_base: str) -> None:
        super().__init__(upstream_base)
        self.down = False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        relay = super()._handler()

        class Handler(relay):  # type: ignore[misc, valid-type]
            def _relay(self) -> None:
                if proxy.down:  # a kept-alive connection: dropped without an answer
                    self.close_connection = True
                    return
                super()._relay()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        return Handler

    def go_down(self) -> None:
        self.down = True
        self._server.shutdown()
        self._server.server_close()

    def come_back(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="outage-proxy", daemon=True)
        self._thread.start()
        self.down = False

    def stop(self) -> None:
        if not self.down:
            super().stop()
        else:
            self._client.close()
