# A newcomer needs only python3 and access to PyPI: everything else is installed from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DBT_DIR := dbt_project
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: help install prepare demo test lint dagster docs simulator bench bench-cli reliability clean

help:
	@echo "make demo      install, run the whole pipeline against the local exchange simulator, print the dashboard"
	@echo "make test      install and run the test suite"
	@echo "make dagster   open the Dagster UI on http://127.0.0.1:3000"
	@echo "make docs      generate the dbt docs of the warehouse and serve them on http://127.0.0.1:8080"
	@echo "make simulator run the exchange simulator on http://127.0.0.1:8765"
	@echo "make lint      ruff check and format check"
	@echo "make bench     every benchmark, then one table (first time about 2 h: it builds the 365-day warehouse, 6 GB)"
	@echo "make bench-cli build the 365-day warehouse once (about 70 min, 6 GB in var/bench/), then time every command"
	@echo "make reliability the whole reliability suite, its slow kill -9 and disk-full runs included"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	touch $@

install: $(VENV)/.installed

# The dbt manifest is prepared here, never at Dagster definition load (reference/reliability.md 2.1).
prepare: install
	$(BIN)/dbt parse --project-dir $(DBT_DIR) --profiles-dir $(DBT_DIR) --quiet
	mkdir -p $(DAGSTER_HOME)
	cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: prepare
	$(BIN)/python -m orchestration.run_pipeline --simulator --days 8
	$(BIN)/python derivatives_tracker.py dashboard BTC ETH SOL

test: prepare
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

dagster: prepare
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# The docs read the warehouse's catalog (column types, row counts): run `make demo` first.
docs: prepare
	$(BIN)/dbt docs generate --project-dir $(DBT_DIR) --profiles-dir $(DBT_DIR)
	$(BIN)/dbt docs serve --project-dir $(DBT_DIR) --profiles-dir $(DBT_DIR) --host 127.0.0.1 --port 8080 --no-browser

# The 365-day warehouse is built once (bench/year_warehouse.py reuses it while days and --now match).
BENCH_DIR ?= var/bench
bench: prepare
	$(BIN)/python -m bench.report --dir $(BENCH_DIR)

bench-cli: prepare
	$(BIN)/python -m bench.report --dir $(BENCH_DIR) --only cli_speed

# The fast reliability cases also run in `make test`; the ones marked `reliability` (kill -9 mid-run, disk full,
# secrets scan of a whole run) only here. The concurrency soak and the command-line fuzzing live with their
# subjects and are included.
reliability: prepare
	$(BIN)/python -m pytest -m "" tests/reliability tests/e2e/test_concurrent_readers.py tests/tracker/test_cli_properties.py

simulator: install
	$(BIN)/python -m simulator --port 8765

clean:
	rm -rf $(VENV) $(TOOLS) $(DBT_DIR)/target $(DBT_DIR)/logs .pytest_cache
