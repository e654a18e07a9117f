# Unit Coordinator Kiosk. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
FHIR_VENV := .venv-fhir
SEKMET_VERSION := 0.1.1

.PHONY: run test lint bench venv fhir-venv system-deps clean

run: venv fhir-venv
	@bash scripts/run.sh

test: system-deps venv fhir-venv
	@bash scripts/test.sh

lint: venv
	$(VENV)/bin/ruff check kiosk printers tests scripts wsgi.py

bench: venv fhir-venv
	$(VENV)/bin/python scripts/bench.py

system-deps:
	@bash scripts/system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt $(wildcard /usr/include/cups/cups.h)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	@extras="test"; \
	if [ -f /usr/include/cups/cups.h ]; then extras="test,cups"; \
	else echo "note: libcups2-dev is not installed, so CUPS printing is off (apt-get install libcups2-dev)"; fi; \
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[$$extras]"
	@touch $@

fhir-venv: $(FHIR_VENV)/.installed

$(FHIR_VENV)/.installed: constraints-fhir.txt
	@test -x $(FHIR_VENV)/bin/python || $(PYTHON) -m venv $(FHIR_VENV)
	$(FHIR_VENV)/bin/python -m pip install --quiet -c constraints-fhir.txt "sekmet-fhir==$(SEKMET_VERSION)"
	@touch $@

clean:
	rm -rf $(VENV) $(FHIR_VENV) .pytest_cache .ruff_cache tests/artifacts
