"""Settings for one contract test: names no other test uses, short timeouts."""

from __future__ import annotations

import uuid

from shared.settings import BrokerKind, Settings, load_settings


def contract_settings(kind: BrokerKind, kafka_bootstrap: str | None) -> Settings:
    """``kafka_bootstrap`` None: the default address, for a run on RabbitMQ alone."""
    unique = uuid.uuid4().hex[:10]
    kafka_address = {} if kafka_bootstrap is None else {"bootstrap_servers": kafka_bootstrap}
    return load_settings(
        source="urn:eda:contract-tests",
        default_broker=kind,
        kafka={
            **kafka_address,
            "topic_prefix": f"c{unique}.",
            "partitions": 4,
            "idempotent_producer": False,
            "fetch_max_wait_ms": 10,
            "session_timeout_ms": 6000,
        },
        rabbitmq={"exchange": f"events-{unique}", "prefetch": 50},
        retry={"max_attempts": 4, "initial_backoff_s": 0.01, "max_backoff_s": 0.05},
    )
