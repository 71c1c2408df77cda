# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= build
DATA ?= data_samples

.PHONY: setup run dev test browser samples bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/kpi run --data $(DATA) --out $(OUT)

dev: setup
	mkdir -p $(OUT)/dagster_home
	cp dagster.yaml $(OUT)/dagster_home/dagster.yaml
	DAGSTER_HOME=$(abspath $(OUT)/dagster_home) KPI_DATA_DIR=$(abspath $(DATA)) KPI_OUT_DIR=$(abspath $(OUT)) \
		KPI_WAREHOUSE=$(abspath $(OUT))/warehouse.duckdb \
		$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Headless Chromium and a Chinese font for the dashboard browser tests: Debian's packages (CI runs as root;
# elsewhere through sudo), each skipped when already there. Playwright drives this Chromium; it never
# downloads a browser of its own.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends

browser:
	@command -v chromium >/dev/null 2>&1 || ($(SUDO) apt-get update && $(APT_INSTALL) chromium fonts-noto-cjk)
	@test -n "$$(fc-list :lang=zh 2>/dev/null)" || ($(SUDO) apt-get update && $(APT_INSTALL) fonts-noto-cjk fontconfig)

test: setup browser
	$(BIN)/pytest -q

samples: setup
	$(BIN)/python data_samples/generate.py --out $(DATA)

bench: setup
	$(BIN)/python -m pipelines.bench

clean:
	rm -rf $(OUT) .pytest_cache
