# Two commands do all the set-up: `make run` and `make test`.
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint tools bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The translation catalogues, compiled in pure Python (no compiled catalogue is in git).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

%.mo: %.po $(STAMP)
	$(PY) -m backupsui.catalogue

# The panel's port and the sandbox's: `make run PORT=8010 SANDBOX_PORT=8011`.
PORT ?= 8000
SANDBOX_PORT ?= 8001
# Days of manual backups, several a day, on every sandbox server (plans' previews and
# retention work on them): `make run HISTORY_DAYS=0` for none.
HISTORY_DAYS ?= 14

# exec: the shell gives way to the demo, so a SIGTERM that make passes on reaches it.
run: $(STAMP) $(CATALOGUES)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	@echo "The demo requires no second factor (BACKUPSUI_MFA_REQUIRED is empty); production asks Operators for one."
	DJANGO_DEBUG=1 BACKUPS_API_URL=http://127.0.0.1:$(SANDBOX_PORT)/api/v1 BACKUPSUI_MFA_REQUIRED= \
	  exec $(PY) manage.py demo --port $(PORT) --sandbox-port $(SANDBOX_PORT) --history-days $(HISTORY_DAYS)

# Debian's chromium (the browser tests), gettext (the test that regenerates the
# catalogue), installed when missing and we are root.
tools:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing:$$missing: install Debian's packages (apt-get install$$missing)"; fi; \
	fi

# html-validate, which the tests run on every page and fragment (package.json pins it;
# node and npm from Debian; installed here, never globally).
NODE_TOOLS := node_modules/.installed

$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_TOOLS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# The tests in TEST_WORKERS processes at once (pytest-xdist; each has its own test database,
# Redis database and temporary files): `make test TEST_WORKERS=1` runs them in one.
TEST_WORKERS ?= 2
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist load,-p no:xdist)

test: $(STAMP) $(CATALOGUES) tools $(NODE_TOOLS) lint
	$(PY) -m pytest $(XDIST)

# The inner loop: each app's unit tests, without real processes, journeys or the browser.
test-fast: $(STAMP) $(CATALOGUES)
	$(PY) -m pytest -q -m "not slow and not e2e" $(XDIST)

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "wrk is missing: install Debian's wrk package (apt-get install wrk)"; exit 1; fi; }
	$(PY) bench/bench.py

screenshots: $(STAMP) $(CATALOGUES) tools
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q tests/e2e/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
