# The two commands: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint system-deps test-python test-js bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

run: install
	$(VENV)/bin/stellarcollab db upgrade
	$(VENV)/bin/stellarcollab demo --if-empty
	$(VENV)/bin/stellarcollab serve --host $(HOST) --port $(PORT) --no-migrate

system-deps:
	./scripts/ensure-system-deps.sh

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

test-js: system-deps
	node --test tests/js/

test-python: install system-deps
	$(PY) -m pytest

test: lint test-js test-python

bench: install
	$(VENV)/bin/stellarcollab bench fanout --compare-naive

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
