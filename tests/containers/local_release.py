"""The chart rendered for this machine: its pods pointed at the local MariaDB, RabbitMQ
and Kafka, at a test OTLP collector, and at the images `make images` built, each HTTP
port a free one (the pods share the host's network). Unique topic, queue, exchange,
database and user names keep runs apart. ``overrides`` are coalesced onto these values
as a values file onto values.yaml (the secured links, say)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eda_local.tansu import free_port
from tests.deploy.chart import CHART, Manifest, coalesced, documents, helm, of_kind

# The Deployments run as pods: both APIs and the two subscribers an order needs to be
# confirmed (the customer projection, then the order itself).
SUBSCRIBERS = ("orders-user-registered", "orders-order-placed")


@dataclass
class LocalRelease:
    kafka_bootstrap: str
    otlp_endpoint: str
    image_tag: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for workload in ("user-service", "order-service", *SUBSCRIBERS):
            self.ports[workload] = free_port()
        for workload in ("user-service", "order-service"):
            self.metrics_ports[workload] = free_port()
        for context in ("users", "orders"):
            self.passwords[context] = secrets.token_hex(12)

    def database(self, context: str) -> str:
        return f"kp_{context}_{self.suffix}"

    def user(self, context: str) -> str:
        return f"kp_{context[0]}_{self.suffix}"

    @property
    def release(self) -> str:
        """Podman's secrets and pods are named machine-wide: the release name keeps
        every object of this run apart."""
        return f"kp{self.suffix}"

    @property
    def prefix(self) -> str:
        return f"kp{self.suffix}."

    def values(self) -> dict[str, Any]:
        databases = {
            context: {
                "name": self.database(context),
                "username": self.user(context),
                "password": self.passwords[context],
            }
            for context in ("users", "orders")
        }
        return coalesced(self._local_values(databases), self.overrides)

    def _local_values(self, databases: dict[str, Any]) -> dict[str, Any]:
        return {
            "fullnameOverride": self.release,
            "defaults": {
                "image": {"tag": self.image_tag, "pullPolicy": "Never"},
                # Tansu refuses the idempotent producer and answers fetches only at
                # their deadline: what `make run` sets for it, as env over the ConfigMap.
                "env": {
                    "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
                    "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
                    "OTEL_BSP_SCHEDULE_DELAY": "100",
                },
            },
            "components": {
                name: {
                    "port": self.ports[name],
                    "metricsPort": self.metrics_ports[name],
                    "replicas": 1,
                }
                for name in ("user-service", "order-service")
            },
            # order.placed on RabbitMQ, the rest on Kafka: both brokers in one flow.
            "subscribers": {
                name: {"port": self.ports[name]}
                | ({"broker": "rabbitmq"} if name == "orders-order-placed" else {})
                for name in SUBSCRIBERS
            },
            "kafka": {"bootstrapServers": self.kafka_bootstrap, "topicPrefix": self.prefix},
            "rabbitmq": {
                "host": "127.0.0.1",
                "username": "guest",
                "password": "guest",
                "queuePrefix": self.prefix,
                "exchange": f"{self.prefix}events",
            },
            "mysql": {"host": "127.0.0.1", "databases": databases},
            "telemetry": {"otlpEndpoint": self.otlp_endpoint},
            "operator": {"enabled": False},
            "networkPolicy": {"enabled": False},
            "infrastructure": {
                name: {"enabled": False} for name in ("kafka", "rabbitmq", "mysql", "jaeger")
            },
        }

    def manifests(self, folder: Path) -> list[Manifest]:
        values = folder / f"values-{self.suffix}.yaml"
        values.write_text(yaml.safe_dump(self.values()))
        result = helm("template", self.release, str(CHART), "--namespace", self.release,
                      "--values", str(values))  # fmt: skip
        assert result.returncode == 0, result.stderr
        return documents(result.stdout)

    def pods(self, manifests: list[Manifest]) -> dict[str, Manifest]:
        """Workload name -> its rendered Deployment, for the Deployments run here."""
        deployments = of_kind(manifests, "Deployment")
        wanted = ("user-service", "order-service", *SUBSCRIBERS)
        return {name: deployments[f"{self.release}-{name}"] for name in wanted}
