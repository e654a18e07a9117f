"""`kiosk check` and the kiosk on a server without a usable CapabilityStatement: /metadata answers 404,
fails with a 500, or answers 200 with something that is not a CapabilityStatement (a Bundle, an HTML
page). The real sekmet-fhir server sits behind a small HTTP proxy that changes only /metadata; the
kiosk probes the searches it needs, says so, and keeps working."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from kiosk.cli import cli
from kiosk.cli_context import KioskContext
from kiosk.config import Settings
from kiosk.fhir.gateway import FhirGateway
from tests.conftest import make_settings
from tests.support.fhir_faults import DiffersFromSekmet, served

NOT_FOUND = (404, "application/fhir+json", json.dumps({"resourceType": "OperationOutcome", "issue": [
    {"severity": "error", "code": "not-found", "diagnostics": "no metadata here"}]}).encode())
FAILS = (500, "application/fhir+json", json.dumps({"resourceType": "OperationOutcome", "issue": [
    {"severity": "fatal", "code": "exception", "diagnostics": "metadata broke"}]}).encode())
A_BUNDLE = (200, "application/fhir+json", json.dumps({"resourceType": "Bundle", "type": "searchset",
                                                      "total": 0}).encode())
A_WEB_PAGE = (200, "text/html; charset=utf-8", b"<!doctype html><title>Welcome</title><h1>FHIR server</h1>")
ANSWERS = {"404": NOT_FOUND, "500": FAILS, "200 Bundle": A_BUNDLE, "200 HTML": A_WEB_PAGE}
PROBED = "Capabilities: no CapabilityStatement: the kiosk probed the searches it needs."


@pytest.mark.parametrize("answer", list(ANSWERS), ids=list(ANSWERS))
def test_kiosk_check_says_it_probed_a_server_whose_metadata_is_no_statement(
        answer: str, gateway: FhirGateway, demo_settings: Settings, tmp_path: Path,
        make_app: Callable[..., Flask]) -> None:
    with served(DiffersFromSekmet(metadata=ANSWERS[answer]), demo_settings.fhir.base_url) as base_url:
        kiosk = KioskContext()
        kiosk._settings = make_settings(base_url, tmp_path / "kiosk.db")
        result = CliRunner().invoke(cli, ["check"], obj=kiosk)
        # The web app on the same server: /healthz says the server answers, and which way it was read.
        app = make_app(KIOSK_FHIR_BASE_URL=base_url)
        health = app.test_client().get("/healthz").get_json()
    assert result.exit_code == 0, result.output
    host = base_url.split("//")[1].split("/")[0]
    assert result.output.splitlines()[1:] == [
        f"FHIR server: The FHIR server at {host}, FHIR version not stated; unit: 4 West Medical-Surgical.",
        PROBED]  # and no search refused: the real server behind the proxy offers every one the kiosk probes
    assert health["checks"]["fhir"]["detail"] == "reachable, no CapabilityStatement (searches probed)"


def test_kiosk_check_with_the_statement_says_so(gateway: FhirGateway, demo_settings: Settings,
                                                tmp_path: Path) -> None:
    """The same command through the same proxy, /metadata untouched: the statement is read, not probed."""
    with served(DiffersFromSekmet(), demo_settings.fhir.base_url) as base_url:
        kiosk = KioskContext()
        kiosk._settings = make_settings(base_url, tmp_path / "kiosk.db")
        result = CliRunner().invoke(cli, ["check"], obj=kiosk)
    assert result.exit_code == 0, result.output
    assert "Capabilities: from its CapabilityStatement." in result.output and PROBED not in result.output
    assert "FHIR server: SEKMET FHIR R4 Tester" in result.output
