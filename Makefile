# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= build
DATA ?= data_samples

.PHONY: setup run dev test samples bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/kpi run --data $(DATA) --out $(OUT)

dev: setup
	mkdir -p $(OUT)/dagster_home
	DAGSTER_HOME=$(abspath $(OUT)/dagster_home) KPI_DATA_DIR=$(abspath $(DATA)) KPI_OUT_DIR=$(abspath $(OUT)) \
		KPI_WAREHOUSE=$(abspath $(OUT))/warehouse.duckdb \
		$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

test: setup
	$(BIN)/pytest -q

samples: setup
	$(BIN)/python data_samples/generate.py --out $(DATA)

bench: setup
	$(BIN)/python -m pipelines.bench

clean:
	rm -rf $(OUT) .pytest_cache
