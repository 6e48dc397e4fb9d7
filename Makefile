# monitor's task runner. Every target installs what it needs first, so on a fresh machine
# `make run` and `make test` are each the only command you type.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install system-deps run demo test test-fast test-shifted lint format bench clean

install: $(STAMP)

# torch comes first: `pip install torch==2.13.0` takes the CPU build; other installers would
# pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: install                 ## run the service on its defaults (watchlists/, SQLite in var/)
	$(BIN)/monitor run

demo: install                ## the whole pipeline, offline, on the sample feeds
	$(BIN)/monitor demo

# The PostgreSQL pass also runs the pgvector tests, on a second server (pgserver's binaries).
test: install system-deps    ## the whole test suite: on SQLite, then on PostgreSQL (+ pgvector)
	$(BIN)/python -m pytest
	pgvector="$$(PYTHON=$(BIN)/python scripts/pgvector-for-tests --if-installed)" && \
	MONITOR_TEST_POSTGRES="$$(scripts/postgres-for-tests)" MONITOR_TEST_PGVECTOR="$$pgvector" \
		$(BIN)/python -m pytest -m "not model"

system-deps:                 ## Debian packages for the tests (PostgreSQL, Chromium), if missing
	scripts/system-deps

test-fast: install           ## tests that do not load the embedding model
	$(BIN)/python -m pytest -m "not model"

# CI: the non-model suite once more with the wall clock a year ahead, so that a test comparing a
# fixed date with the real clock (a date bomb) fails the day it is written.
test-shifted: install system-deps  ## tests that do not load the model, a year in the future
	MONITOR_TEST_SHIFT_DAYS=365 $(BIN)/python -m pytest -m "not model"

lint: install                ## ruff (lint + format check), mypy, import contracts (no cycles)
	$(BIN)/ruff check monitor tests alembic bench
	$(BIN)/ruff format --check monitor tests alembic bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format monitor tests alembic bench
	$(BIN)/ruff check --fix monitor tests alembic bench

bench: install               ## benchmarks: make bench BENCH=stance; figures go to docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
