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

# pip into the venv: the venv's own when it has one, else this Python's pip (--python),
# which spares creating a pip inside the venv (seconds on a busy machine). Bytecode is
# compiled on first import instead of for every installed file.
PIP_FLAGS := -q --disable-pip-version-check --no-compile
pip = if [ -x $(VENV)/bin/pip ]; then $(PY) -m pip install $(PIP_FLAGS) $(1); \
	else $(PYTHON) -m pip --python $(PY) install $(PIP_FLAGS) $(1); fi

$(STAMP): pyproject.toml
	if $(PYTHON) -m pip --help 2>/dev/null | grep -q -- --python; then $(PYTHON) -m venv --without-pip $(VENV); \
	else $(PYTHON) -m venv $(VENV); fi
	$(call pip,-e .)
	touch $(STAMP)

# The suite runs the benchmark's smoke tests too (plots included): it needs both extras
# (named in a variable: a comma inside $(call ...) would split its argument).
TEST_EXTRAS := .[test,bench]
$(TEST_STAMP): $(STAMP)
	$(call pip,-e '$(TEST_EXTRAS)')
	touch $(TEST_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(call pip,-e '.[bench]')
	touch $(BENCH_STAMP)

run: install
	$(VENV)/bin/stellarcollab db upgrade
	$(VENV)/bin/stellarcollab demo --if-empty
	$(VENV)/bin/stellarcollab serve --host $(HOST) --port $(PORT) --no-migrate

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
