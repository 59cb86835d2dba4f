"""What the operator serves on /metrics: the backlog it read and the replicas it chose
for each SubscriberScaler, beside the process metrics. A subscriber that is down, or
scaled to zero, does not report its own backlog: the operator still does."""

from __future__ import annotations

import contextlib

from prometheus_client import Gauge, start_http_server

BACKLOG = Gauge(
    "eda_operator_backlog",
    "The subscriber's broker backlog at the operator's last reading.",
    ["namespace", "deployment"],
)
DESIRED_REPLICAS = Gauge(
    "eda_operator_desired_replicas",
    "The replicas the operator chose for the subscriber Deployment at its last reading.",
    ["namespace", "deployment"],
)


def serve_metrics(host: str, port: int) -> None:
    """/metrics on host:port, from a daemon thread (kopf owns the event loop)."""
    start_http_server(port, addr=host)


def record_reading(namespace: str, deployment: str, backlog: int | None) -> None:
    if backlog is None:  # not read: no number rather than a stale one
        with contextlib.suppress(KeyError):
            BACKLOG.remove(namespace, deployment)
        return
    BACKLOG.labels(namespace, deployment).set(backlog)


def record_decision(namespace: str, deployment: str, desired: int) -> None:
    DESIRED_REPLICAS.labels(namespace, deployment).set(desired)
