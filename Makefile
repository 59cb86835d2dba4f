# Every target sets up what it needs: a fresh clone runs `make test` and nothing else.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: help env servers test test-unit test-integration lint format bench docs run clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	@echo ">> installing uv $(UV_VERSION) into $(TOOLS)/uv"
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml */*/pyproject.toml)
	@echo ">> syncing $(VENV) from uv.lock"
	@$(UV) sync --frozen --all-groups --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced ## create the virtualenv from the lockfile

servers: ## start MariaDB and RabbitMQ if they are down
	@tests/support/ensure-servers.sh

test: env servers ## run every test (unit, integration, contract) against real servers
	@$(PY) -m pytest

test-unit: env ## only the fast tests without servers
	@$(PY) -m pytest tests/unit

lint: env ## ruff, mypy, import-linter
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports

format: env ## apply ruff's formatting and fixes
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: env servers ## benchmarks; one JSON object per figure on stdout
	@$(PY) -m tests.bench

docs: env ## regenerate event JSON Schemas and the AsyncAPI document
	@$(VENV)/bin/eda-schemas generate

run: env ## run every component as a local process (Ctrl-C stops all)
	@$(PY) -m eda_local.launcher

clean: ## remove the virtualenv and tools
	rm -rf $(VENV) $(TOOLS)
