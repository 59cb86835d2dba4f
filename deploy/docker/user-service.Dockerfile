# syntax=docker/dockerfile:1.7
# Image: the users API (`user-service serve`) and its schema migrations (`user-service migrate`, the chart's hook Job).
# Build from the repository root:
#   make images, or docker build -f deploy/docker/user-service.Dockerfile -t eda/user-service .
# tests/deploy/test_images.py replays the build stage's COPY and RUN lines into a
# virtual environment and starts the entry point, so a broken install step fails
# `make test` even where no image can be built.

# The base images, from build arguments: make images, the Tiltfile and the tests pass
# deploy/docker/base-images.env's references (the defaults below are the same, checked
# by tests/deploy/test_images.py). uv is the Makefile's UV_VERSION; it never reaches the
# final image.
ARG PYTHON_IMAGE=docker.io/library/python:3.11.14-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1
WORKDIR /src
# The workspace manifests and the lockfile first: the dependency layer is rebuilt
# only when they change. uv needs every member's manifest to read the workspace.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/user_service/pyproject.toml services/user_service/
COPY services/order_service/pyproject.toml services/order_service/
COPY services/subscribers/pyproject.toml services/subscribers/
COPY services/scaling_operator/pyproject.toml services/scaling_operator/
COPY services/eda_cli/pyproject.toml services/eda_cli/
COPY deploy/local/pyproject.toml deploy/local/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package user-service
COPY shared/src shared/src
COPY services/user_service/src services/user_service/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package user-service

FROM ${PYTHON_IMAGE} AS runtime
# pip and setuptools are build tools the running service never needs.
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 eda \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin eda
# Owned by root, so the service cannot change its own code. The Tiltfile builds
# with VENV_OWNER=10001:10001: its live_update writes synced sources in here.
ARG VENV_OWNER=0:0
COPY --from=build --chown=${VENV_OWNER} /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
ENTRYPOINT ["user-service"]
CMD ["serve"]
