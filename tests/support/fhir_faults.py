"""FHIR servers that misbehave, made from the real one: httpx transports that sit between the kiosk's
client and a real sekmet-fhir server (a small in-process proxy) and change one thing about it."""

from __future__ import annotations

import json

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
