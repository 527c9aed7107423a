# Every target installs what it needs on first use: a fresh clone only needs python3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint ui serve bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/reconcile run --sources sources --out out

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff over the code and the tests; mypy --strict over the engine (its settings are in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/reconcile

# the steward console on http://127.0.0.1:8000 (SERVE_ARGS="--host 0.0.0.0 --port 8080" to change)
serve: $(STAMP)
	exec $(BIN)/reconcile serve --out out $(SERVE_ARGS)

UI_HOME ?= $(CURDIR)/.dagster_home

# exec: make's child is the launcher itself, which stops every Dagster process on Ctrl-C or SIGTERM
ui: $(STAMP)
	@mkdir -p $(UI_HOME)
	@cp deploy/dagster.dev.yaml $(UI_HOME)/dagster.yaml
	DAGSTER_HOME=$(UI_HOME) exec $(BIN)/python -m pipelines.ui --host 127.0.0.1 --port $${DAGSTER_PORT:-3000}

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run_bench

clean:
	rm -rf out .reconcile .dagster_home
