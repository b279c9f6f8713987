# Lianxi (联席) — local stack, tests and benchmarks. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
LIANXI := $(VENV)/bin/lianxi
# Local defaults only: anything but development refuses the documented placeholder secrets.
export LIANXI_ENV ?= development
# Debian packages the tests need: Java + Maven for Kafka, clickhouse-client for the native
# protocol tests, chromium for dashboard screenshots and the briefing PDFs, poppler-utils
# (pdftotext, pdffonts, pdftoppm) for the briefing tests.
# package:probe — the probe is a command, or a file path when it starts with /.
APT_PACKAGES := openjdk-17-jre-headless:java maven:mvn clickhouse-client:clickhouse-client \
  chromium:chromium chromium-driver:chromedriver acl:setfacl \
  fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc poppler-utils:pdftotext
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup system-packages service-user python-env kafka-jars mailbox demo demo-load up down status test test-unit bench lint

help:
	@echo "make setup   install everything (idempotent: fast when done)"
	@echo "make demo    setup + start the stack + load the demo, then print URLs and logins"
	@echo "make up      start the local stack in the background (lianxi up)"
	@echo "make down    stop it (lianxi down)"
	@echo "make status  show services and health (lianxi status)"
	@echo "make test    start the stack if needed, then run pytest over tests/ (not tests/perf)"
	@echo "make test-unit  the tests that need no service (pytest -m unit), without the stack"
	@echo "make bench   run every tests/perf/bench_*.py, results in var/bench/"
	@echo "make lint    ruff + mypy"

setup: system-packages service-user python-env kafka-jars mailbox
	@echo "==> setup done"

system-packages:
	@missing=""; for pair in $(APT_PACKAGES); do \
	  probe="$${pair#*:}"; \
	  case "$$probe" in /*) [ -e "$$probe" ] ;; *) command -v "$$probe" >/dev/null 2>&1 ;; esac \
	    || missing="$$missing $${pair%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> apt-get install$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "==> system packages present (java, mvn, clickhouse-client, chromium, chromedriver, CJK fonts)"; \
	fi

# The stack's services run as this unprivileged system user when `lianxi up` runs as root
# (infra/service_user.py); LIANXI_SERVICE_USER= (empty) keeps them as the invoking user.
SERVICE_USER ?= $(or $(LIANXI_SERVICE_USER),lianxi)
service-user:
	@if [ "$$(id -u)" != 0 ] || [ -z "$(SERVICE_USER)" ]; then \
	  echo "==> service user: not root, services run as $$(id -un)"; \
	elif getent passwd $(SERVICE_USER) >/dev/null; then \
	  echo "==> service user $(SERVICE_USER) present"; \
	else \
	  echo "==> creating system user $(SERVICE_USER) (no login, no home)"; \
	  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin $(SERVICE_USER); \
	fi
	@# The user must reach the interpreter and the checkout: a closed parent directory (pyenv
	@# under /root, a clone under a private folder) gets a traverse-only ACL for it, nothing more.
	@if [ "$$(id -u)" = 0 ] && [ -n "$(SERVICE_USER)" ] && getent passwd $(SERVICE_USER) >/dev/null; then \
	  for dir in $$($(PYTHON) -c 'import pathlib, sys; [print(p) for r in (sys.base_prefix, "$(CURDIR)") for p in pathlib.Path(r).resolve().parents]' | sort -u); do \
	    runuser -u $(SERVICE_USER) -- test -x "$$dir" 2>/dev/null || { echo "==> traverse-only ACL for $(SERVICE_USER) on $$dir"; setfacl -m u:$(SERVICE_USER):x "$$dir"; }; \
	  done; \
	fi

python-env: $(VENV)/.installed

$(VENV)/bin/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# Reinstalls only when pyproject.toml changed since the last install.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	@echo "==> pip install -e '.[dev]' (first time: several minutes)"
	$(VENV)/bin/pip install -q -e '.[dev]'
	@touch $@

kafka-jars: python-env
	@echo "==> Kafka broker jars (Maven)"
	$(LIANXI) kafka fetch

# The local mailbox for the alerts (Mailpit built with its web UI; needs Go and npm).
mailbox: python-env
	@echo "==> local mailbox (Mailpit)"
	$(LIANXI) mailbox fetch

demo: setup up demo-load
	@$(LIANXI) status
	@$(PY) -m infra.endpoints

# ---- DEMO HOOKS ------------------------------------------------------------------------
# One line per stage, in data-flow order; each is idempotent (the seed year has fixed ids,
# which the warehouse deduplicates).
demo-load: up
	@echo "==> loading the demo scenario"
	$(LIANXI) warehouse migrate
	$(LIANXI) topics create
	$(LIANXI) simulate seed
	@echo "==> waiting for the stream worker to load the seed year"
	$(PY) -m infra.demo_wait
	@# --full-refresh: the demo rebuilds every fact from raw (seconds at seed scale), so a var/
	@# from an older version gets the marts' new columns instead of failing on them.
	$(LIANXI) dbt build --full-refresh
	$(LIANXI) dashboards import
	$(LIANXI) dashboards roles
	@# A few tickets about to pass their deadline: the mailbox shows alerts within a minute.
	$(LIANXI) alerts demo
# ---- END DEMO HOOKS --------------------------------------------------------------------

up: setup
	$(LIANXI) up

down:
	@if [ -x $(LIANXI) ]; then $(LIANXI) down; else echo "no venv: nothing runs"; fi

status:
	$(LIANXI) status

test: up
	@echo "==> pytest tests (without tests/perf)"
	$(PY) -m pytest tests --ignore=tests/perf -p no:cacheprovider

# No `up`: these tests need no broker, warehouse or Superset (markers: tests/conftest.py).
test-unit: python-env
	@echo "==> pytest -m unit tests (no services)"
	$(PY) -m pytest tests --ignore=tests/perf -m unit -p no:cacheprovider

bench: up
	$(PY) -m tests.perf

lint: python-env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core warehouse ingest streams dbt_project dashboards alerts reports infra
