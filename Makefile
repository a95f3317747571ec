# Retention warehouse — see README.md. Every target runs from the project root.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT := $(BIN)/dbt
export DBT_PROFILES_DIR := $(CURDIR)
export WAREHOUSE_PATH ?= $(CURDIR)/warehouse/retention.duckdb
export BI_WAREHOUSE_PATH ?= $(CURDIR)/warehouse/retention_bi.duckdb
export BI_STORES_DIR ?= $(CURDIR)/warehouse/stores
export RAW_DATA_DIR ?= data/sample
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
BENCH_SIZE ?= 1M

.PHONY: test-sample test-pytest help setup setup-spark setup-browser test-spark setup-bi bi test-bi publish-stores build test validate docs bench lint lint-sql lint-python pytest dbt-build summary sample lock clean report semantic

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv with the pinned dependencies (fast when nothing changed)

# installs into .venv with uv (pinned in requirements-setup.lock): the
# complete lock in about 6 s where pip takes about 50. --compile-bytecode:
# where PYTHONDONTWRITEBYTECODE is set (as on some CI runners) Python never
# caches what it compiles, and every process would compile dbt, Great
# Expectations and pandas again (about 7 CPU s of each dbt run)
INSTALL := $(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode

$(STAMP): requirements.lock requirements-setup.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-setup.lock
	@# --no-deps: the lock lists every package (uv pip check verifies it)
	$(INSTALL) --no-deps -r requirements.lock
	$(BIN)/uv pip check --python $(BIN)/python
	@# the project's own package is used in place: put the project root on sys.path
	$(BIN)/python -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'retention_warehouse.pth').write_text('$(CURDIR)\\n')"
	@touch $(STAMP)

SPARK_STAMP := $(VENV)/.installed-spark

setup-spark: $(SPARK_STAMP)  ## optional: add dbt-spark + PySpark (requirements-spark.lock) to .venv

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(INSTALL) -c requirements.lock -r requirements-spark.lock
	@touch $(SPARK_STAMP)

test-spark: setup-spark  ## build the sample on Spark and compare every mart with DuckDB (needs Java 17+)
	$(BIN)/python -m retention.spark.parity

BI_STAMP := $(VENV)/.installed-bi
BI_PORT ?= 8501

setup-bi: $(BI_STAMP)  ## optional: add Streamlit (requirements-bi.lock) to .venv for make bi / test-bi

$(BI_STAMP): $(STAMP) requirements-bi.lock
	$(INSTALL) -c requirements.lock -r requirements-bi.lock
	@touch $(BI_STAMP)

bi: setup-bi  ## serve the BI app on BI_WAREHOUSE_PATH (or BI_DASHBOARD_DB, e.g. a store file) at localhost:BI_PORT
	@test -f "$(BI_WAREHOUSE_PATH)" || $(BIN)/python -m retention.build
	$(BIN)/streamlit run bi/app.py --server.headless true --server.port $(BI_PORT) \
	  --browser.gatherUsageStats false --server.fileWatcherType none

test-bi: setup-bi  ## optional: every BI page in Streamlit's AppTest and in headless Chromium (apt-get install chromium)
	@test -f "$(BI_WAREHOUSE_PATH)" || $(BIN)/python -m retention.build
	$(BIN)/python -m pytest bi/tests -p no:cacheprovider -q

publish-stores: setup  ## one DuckDB file per store (its rows only) into BI_STORES_DIR, from the published file
	@test -f "$(BI_WAREHOUSE_PATH)" || $(BIN)/python -m retention.build
	$(BIN)/python -m retention.publish stores

build: setup  ## dbt build on RAW_DATA_DIR + validation + publish (FULL_REFRESH=1: rebuild incremental models)
	$(BIN)/python -m retention.build $(if $(FULL_REFRESH),--full-refresh)

dbt-build: setup  ## plain dbt build (no publishing)
	$(DBT) build

# make test's build of the sample (dbt build + data tests + validation, pinned
# like the tests: retention/tests/hermetic.py); pytest's sample_warehouse reuses it
TEST_BUILD := $(CURDIR)/target/test-sample
PYTEST_WORKERS ?= 3

test: setup  ## everything CI checks: lint, dbt build + data tests + validation, pytest
	@# lint and the sample's build (one process each) run beside pytest, whose
	@# tests of the sample wait for that build (retention/tests/hermetic.py):
	@# both cores stay busy
	@mkdir -p $(TEST_BUILD) && rm -f $(TEST_BUILD)/status && touch $(TEST_BUILD)/building
	@# the project's own modules, compiled once for the suite's hundreds of processes
	@$(BIN)/python -m compileall -q retention benchmarks bi
	$(MAKE) --no-print-directory -j 3 --output-sync=line lint test-sample test-pytest

test-sample: setup
	$(BIN)/python -m retention.tests.hermetic $(TEST_BUILD)

test-pytest: setup
	TEST_SAMPLE_WAREHOUSE=$(TEST_BUILD)/sample.duckdb TEST_SAMPLE_TARGET_PATH=$(TEST_BUILD)/target \
	  $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20

setup-browser:  ## Chromium for the report's browser tests (Debian/Ubuntu, as root; CI runs it)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  test "$$(id -u)" = 0 || { echo "run as root: apt-get install -y chromium (or SKIP_BROWSER_TESTS=1 make test)"; exit 1; }; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

lint: lint-python lint-sql  ## ruff + sqlfluff

lint-python: setup
	$(BIN)/ruff check retention benchmarks bi
	$(BIN)/ruff format --check retention benchmarks bi

lint-sql: setup
	DBT_TARGET=lint $(BIN)/sqlfluff lint models tests analyses

validate: setup  ## Great Expectations checkpoint over the last build
	$(BIN)/python -m retention.validate

docs: setup  ## dbt docs + Great Expectations Data Docs
	$(DBT) docs generate --static
	@echo "dbt docs: target/static_index.html (one self-contained file) or: $(DBT) docs serve"
	@# Data Docs show failed expectations too: only exit 2 (no warehouse) stops make
	$(BIN)/python -m retention.validate --docs; test $$? -ne 2

report: setup  ## offline HTML retention report of the last build: artifacts/report.html
	@test -f "$(WAREHOUSE_PATH)" || $(BIN)/python -m retention.build --no-publish
	$(BIN)/python -m retention.report --warehouse "$(WAREHOUSE_PATH)" --out artifacts/report.html

semantic: setup  ## MetricFlow: validate the semantic layer against the last build, example query
	@test -f "$(WAREHOUSE_PATH)" || $(BIN)/python -m retention.build --no-publish
	@test -f target/semantic_manifest.json || $(DBT) parse
	$(BIN)/mf validate-configs
	$(BIN)/mf query --metrics net_revenue,average_order_value,new_customers --group-by metric_time__year --order metric_time__year

bench: setup  ## performance benchmark (BENCH_SIZE=1M|10M|50M)
	$(BIN)/python -m benchmarks --size $(BENCH_SIZE)

sample: setup  ## regenerate the bundled sample in data/sample
	rm -rf data/sample && $(BIN)/python -m retention.generate --orders 100000 --stores 16 --seed 7 \
	  --start 2022-01-01 --end 2024-12-31 --format parquet --out data/sample --quiet

lock:  ## re-resolve requirements.in into requirements.lock (needs the registry)
	rm -rf /tmp/retention-lock && $(PYTHON) -m venv /tmp/retention-lock && \
	/tmp/retention-lock/bin/pip install --quiet -r requirements.in && \
	/tmp/retention-lock/bin/pip freeze --exclude-editable > requirements.lock

clean:  ## remove build outputs (keeps .venv)
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal warehouse/stores artifacts
