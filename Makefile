# Set-up is part of every target: a fresh machine needs only Python 3.11+ and Node/npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= fairlabel-data
export FAIRLABEL_DATA_DIR ?= $(DATA_DIR)

.PHONY: demo test setup frontend browser lint bench clean

demo: setup
	$(BIN)/fairlabel demo --serve

test: setup browser
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest

setup: $(STAMP) frontend

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fairlabel needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The workspace is built from frontend/ into the package's static folder; built assets are not committed.
frontend:
	@if [ -f frontend/package.json ]; then \
		cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent; \
	fi

# Browser tests drive Debian's Chromium; install it when missing (needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) $(DATA_DIR) src/fairlabel/web/static/dist frontend/node_modules
