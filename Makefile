# Two commands do all the set-up on a fresh machine:
#   make run   - virtualenv, requirements, database, boundaries, demo data, then the app on :8501
#   make test  - what the tests need (incl. Debian's chromium and poppler), ruff, the whole suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run setup test lint bench clean-data system-test-deps screenshots

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The demo's returns are set in Pakistan, so its first run downloads Pakistan's boundaries (unless ../shared/boundaries
# or STOCKTAKE_BOUNDARIES_FROM holds them); another country's demo: make run STOCKTAKE_COUNTRY=KEN
setup: $(VENV)/.installed
	STOCKTAKE_COUNTRY=$${STOCKTAKE_COUNTRY:-PAK} $(PY) -m mapping setup --demo

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

# Debian's chromium drives the end-to-end test; pdftoppm renders PDF pages; fonts cover Urdu names.
system-test-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
		echo "Installing Debian packages the tests need: chromium poppler-utils fonts"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium poppler-utils fonts-dejavu-core fonts-noto-core >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.installed-dev system-test-deps lint
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	@for script in bench/*.py; do \
		case $$script in bench/_*) continue;; esac; \
		echo "== $$script"; $(PY) $$script || exit 1; \
	done

# Refresh the README's pictures: the end-to-end test, saving its screenshots into docs/screenshots/.
screenshots: $(VENV)/.installed-dev system-test-deps
	STOCKTAKE_SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -m browser tests/views/test_e2e.py
