#!/usr/bin/env bash
# `make test`: lint, then the whole suite (unit, integration against a real sekmet-fhir, browser e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check kiosk printers tests scripts wsgi.py
.venv/bin/python -m pytest "$@"
