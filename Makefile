# Every target installs what it needs on first use: a fresh clone only needs python3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test ui bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/reconcile run --sources sources --out out

test: $(STAMP)
	$(BIN)/python -m pytest

ui: $(STAMP)
	@mkdir -p .dagster_home
	@cp deploy/dagster.dev.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -h 127.0.0.1 -p $${DAGSTER_PORT:-3000}

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run_bench

clean:
	rm -rf out .reconcile .dagster_home
