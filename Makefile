# Two commands for a newcomer: `make conformance` (a local conformance run) and `make test`
# (the harness's own tests). Both create .venv and install the project on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: install conformance test lint stack-up stack-down clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

conformance: $(STAMP)
	$(BIN)/pytest $(ARGS)

test: $(STAMP)
	$(BIN)/pytest tests $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mlflow_conformance fixtures suites tests conftest.py
	$(BIN)/mypy

stack-up: $(STAMP)
	$(BIN)/python -m mlflow_conformance stack up

stack-down: $(STAMP)
	$(BIN)/python -m mlflow_conformance stack down

clean:
	rm -rf reports/[0-9]* reports/latest .pytest_cache
