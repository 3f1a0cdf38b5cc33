# The two commands: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The live stream (uvicorn) listens beside the pages; the dashboard opens its socket there.
STREAM_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup run test lint bench clean

# Development mode for the two commands (production leaves DEBUG off): keys are made per installation in var/.
run test: export DEBUG ?= 1

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The checkout's development settings, read by trading/settings (python-dotenv): `python manage.py ...` and
# `pytest` then work here without exporting anything. Never committed; production has no such file.
.env:
	printf '# Development settings of this checkout, written by `make setup`. Not for production.\nDEBUG=1\n' > $@

setup: $(VENV)/.installed node_modules/.installed .env

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Trading platform: http://127.0.0.1:$(PORT)/"
	@echo "  Log in as: demo / $${DEMO_PASSWORD:-demo-pass-123}"
	@echo "  API docs:  http://127.0.0.1:$(PORT)/api/docs/   Health: http://127.0.0.1:$(PORT)/health/ready"
	@echo "  Ctrl-C stops everything."
	@echo ""
	@# Metrics files of the previous run's processes (prometheus_client's multiprocess mode) start afresh.
	rm -rf "$${TRADING_VAR_DIR:-var}/prometheus"
	STREAM_PORT=$(STREAM_PORT) honcho start -f Procfile -p $(PORT)

# Tests get their own var/ folder (SQLite file, embedded broker) so they never
# share queues with a `make run` on the same checkout; TEST_VAR_DIR gives two runs side by side one each.
TEST_VAR_DIR ?= $(CURDIR)/var/test
test: setup
	TRADING_VAR_DIR=$(abspath $(TEST_VAR_DIR)) $(PY) -m pytest $(PYTEST_ARGS)

# ruff (pyflakes, bugbear, aware datetimes, Django, ...), formatting, the layers (import-linter's contracts in
# pyproject.toml), and no model change without its migration.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 TRADING_VAR_DIR=$(CURDIR)/var/lint $(PY) manage.py makemigrations --check --dry-run

# Every benchmark runs even if an earlier one misses its target; the exit status says if any did.
bench: setup
	@failed=""; for script in benchmarks/*.py; do \
	  [ -e "$$script" ] || continue; case $$script in */_*) continue;; esac; \
	  echo "== $$script"; $(PY) $$script || failed="$$failed $$script"; \
	done; \
	if [ -n "$$failed" ]; then echo "missed targets:$$failed"; exit 1; fi

clean:
	rm -rf var staticfiles .pytest_cache
