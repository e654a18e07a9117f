"""A full browser session over the demo data with logging at DEBUG: no patient name or MRN may appear
in any log line (the HTTP libraries log full URLs; exception messages may carry data)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from tests.support.auth import sign_in
from tests.support.browser import LiveServer


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_server(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveServer,
                                                                                                    Collect]]:
    monkeypatch.setenv("KIOSK_LOG_LEVEL", "DEBUG")
    app = make_app()
    collect = Collect()
    collect.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(collect)
    server = LiveServer(app).start()
    yield server, collect
    server.stop()
    root.removeHandler(collect)
    root.setLevel(logging.INFO)


def patient_data(gw: FhirGateway) -> set[str]:
    census = unit_census(gw)
    values: set[str] = set()
    for p in census.patients.values():
        values |= {p.name.family, p.name.last_first, p.mrn or ""}
        values |= {g for g in p.name.given if len(g) > 3}
    return {v for v in values if v}


def test_no_patient_data_in_debug_logs(debug_server: tuple[LiveServer, Collect], gateway: FhirGateway,
                                       page: Page) -> None:
    server, collect = debug_server
    secrets = patient_data(gateway)
    assert len(secrets) > 60
    sign_in(page, server.url, Role.CHARGE_NURSE)
    expect(page.locator(".unit-name")).to_be_visible()
    mrn = next(s for s in secrets if s.isdigit())
    page.goto(server.url + "/audit/")
    page.fill("#mrn", mrn)
    page.locator("button", has_text="Search").tap()
    expect(page.locator("#audit-results")).to_contain_text("record")
    page.goto(server.url + "/no-such-page")
    assert logging.getLogger().level == logging.DEBUG
    assert any("werkzeug" in line for line in collect.lines)  # the capture works: requests were logged
    leaks = [(secret, line) for line in collect.lines for secret in secrets if secret in line]
    assert leaks == []
