#!/usr/bin/env bash
# `make test`: lint, then the whole suite (unit, integration against a real sekmet-fhir, browser e2e) on
# TEST_WORKERS pytest-xdist workers, each with its own FHIR server, browser and ports. The default is
# the count measured fastest on the 2-core machine (docs/benchmarks.md, "Test loop"). Tests that share a
# machine-wide resource carry an xdist_group mark (the CUPS server) and run on one worker.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check kiosk printers tests scripts wsgi.py
.venv/bin/python -m pytest -n "${TEST_WORKERS:-3}" --dist loadgroup "$@"
