# Two commands do all the set-up: `make run` and `make test`.
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint browser bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The panel's port and the sandbox's: `make run PORT=8010 SANDBOX_PORT=8011`.
PORT ?= 8000
SANDBOX_PORT ?= 8001

run: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 BACKUPS_API_URL=http://127.0.0.1:$(SANDBOX_PORT)/api/v1 \
	  $(PY) manage.py demo --port $(PORT) --sandbox-port $(SANDBOX_PORT)

# Debian's chromium for the browser tests, installed when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: install Debian's chromium package (apt-get install chromium)"; fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) browser lint
	$(PY) -m pytest

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "wrk is missing: install Debian's wrk package (apt-get install wrk)"; exit 1; fi; }
	$(PY) bench/bench.py

screenshots: $(STAMP) browser
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q tests/e2e/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
