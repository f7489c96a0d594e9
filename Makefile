# The two commands: `make run` serves the app, `make test` runs the whole suite.
# `make run` installs only what serving needs; the test and bench extras come with
# `make test` and `make bench`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
BENCH_STAMP := $(VENV)/.installed-bench-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test install-bench run test lint system-deps test-python test-js bench clean

install: $(STAMP)
install-test: $(TEST_STAMP)
install-bench: $(BENCH_STAMP)

# scripts/venv-install.sh makes the venv when it is missing and installs into it: with uv
# when there is one (or one it can fetch from PyPI), else with pip. Bytecode is compiled on
# first import instead of for every installed file.
install_into_venv = ./scripts/venv-install.sh $(PYTHON) $(VENV) $(1)

$(STAMP): pyproject.toml
	$(call install_into_venv,-e .)
	touch $(STAMP)

# The suite runs the benchmark's smoke tests too (plots included): it needs both extras
# (named in a variable: a comma inside $(call ...) would split its argument).
TEST_EXTRAS := .[test,bench]
$(TEST_STAMP): $(STAMP)
	$(call install_into_venv,-e '$(TEST_EXTRAS)')
	touch $(TEST_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(call install_into_venv,-e '.[bench]')
	touch $(BENCH_STAMP)

# One process migrates, makes the demo canvas on an empty database and serves (one
# interpreter start and one import of the app instead of three).
run: install
	$(VENV)/bin/stellarcollab serve --host $(HOST) --port $(PORT) --demo-if-empty

system-deps:
	./scripts/ensure-system-deps.sh

lint: install-test
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

test-js: system-deps
	node --test tests/js/

test-python: install-test system-deps
	$(PY) -m pytest

test: lint test-js test-python

bench: install-bench
	$(VENV)/bin/stellarcollab bench fanout --compare-naive

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
