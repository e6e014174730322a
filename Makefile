# The two commands a new user needs: `make run` (the main job) and `make test` (the suite).
# Both create .venv and install the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TARGET ?= duckdb
RAW_CSV ?=
# The file's path reaches the job as an environment variable, verbatim: make does not expand it
# ($(value ...)) and no shell reads it as words, so spaces, quotes, $, backticks, * and
# Unicode in a name are just characters of the name.
override RAW_CSV := $(value RAW_CSV)
export RAW_CSV
# ACCEPT_SHIFT=1: publish even when the load audit finds a column's distribution shifted
# (python -m pipeline run --accept-shift)
ACCEPT_SHIFT ?=
DOCS_PORT ?= 8080
SERVE_PORT ?= 5300
DAGSTER_PORT ?= 3000
DAGSTER_HOME ?= .dagster

export SPF_TARGET := $(TARGET)
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export PYTHONUNBUFFERED := 1

.PHONY: install run test unit lint docs app report serve orchestrate sample bench clean

$(BIN)/.installed: pyproject.toml
	@echo "==> Creating $(VENV) and installing the project (first run only, about 2 minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev,app,spark,orchestration]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python -m pipeline run --target $(TARGET) $(if $(RAW_CSV),--raw-csv "$$RAW_CSV") \
		$(if $(filter 1 yes true,$(ACCEPT_SHIFT)),--accept-shift)

test: install
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory unit lint

# dbt unit tests: the models' logic on made-up rows (no warehouse data needed; `make run` runs
# the data tests on every load)
unit: install
	export SPF_DUCKDB_PATH=$$(mktemp -d)/unit.duckdb && $(BIN)/dbt run --empty --quiet \
		&& $(BIN)/dbt test --select "test_type:unit"

lint: install
	$(BIN)/ruff check spf ml insights pipeline orchestration app tests benchmarks
	$(BIN)/ruff format --check spf ml insights pipeline orchestration app tests benchmarks
	$(BIN)/dbt parse --warn-error-options '{"error": ["Deprecations"]}' --quiet
	$(BIN)/sqlfluff lint models tests/*.sql analyses

docs: install
	$(BIN)/dbt docs generate --static
	@echo "==> Single-file docs: target/static_index.html; serving on http://localhost:$(DOCS_PORT)"
	$(BIN)/dbt docs serve --port $(DOCS_PORT) --no-browser

app: install
	$(BIN)/streamlit run app/Home.py --server.headless true --server.address localhost \
		--browser.gatherUsageStats false --client.toolbarMode minimal

report: install
	$(BIN)/python -m insights.report

# the active warehouse's champion as an HTTP service on 127.0.0.1:$(SERVE_PORT), by `mlflow models
# serve` (POST /invocations; see the README); Ctrl-C stops it
serve: install
	$(BIN)/python -m ml serve --port $(SERVE_PORT)

# the pipeline in Dagster's UI on http://127.0.0.1:$(DAGSTER_PORT) (loopback only, telemetry
# off): the assets from file to app, their checks, runs and logs; the inbox sensor loads each new
# file of $${SPF_INBOX:-inbox/}. The instance (runs, logs) lives in $(DAGSTER_HOME). Ctrl-C stops it.
orchestrate: install
	mkdir -p "$(DAGSTER_HOME)" "$${SPF_INBOX:-inbox}"
	cp orchestration/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"
	DAGSTER_HOME="$(abspath $(DAGSTER_HOME))" PATH="$(abspath $(BIN)):$$PATH" \
		$(BIN)/dagster dev --host 127.0.0.1 --port $(DAGSTER_PORT)

# the warehouse at 100k, 1M and 10M rows against a hand-written floor (an hour or more; not part
# of `make test`): writes benchmarks/RESULTS.md
bench: install
	$(BIN)/python benchmarks/bench.py --runs $(or $(BENCH_RUNS),1)

sample: install
	$(BIN)/python -m spf.sample --output seeds/student_performance_factors.csv

clean:
	rm -rf target logs warehouse reports .spark mlflow.db mlruns .dagster
