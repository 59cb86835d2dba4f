"""What makes the order-service itself; the settings every service shares come from
``shared.service``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.service import ServiceDefinition
from shared.settings import ENV_PREFIX, load_model

SERVICE = ServiceDefinition(
    name="order-service",
    summary="Orders: place, read, list and cancel; events through the outbox",
    database="orders",
    http_port=8002,
    migrations_dir=Path(__file__).resolve().parent / "migrations",
    migrations_namespace="order_service",
    readiness_table="orders",
)


class EventHandlerSettings(BaseSettings):
    """Read by the subscribers that run this service's event handlers."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # How long after an order.placed its unknown customer is waited for (the
    # user.registered may still be on its way) before the order is rejected.
    unknown_customer_wait_s: float = Field(default=30.0, ge=0, le=3600)


def load_event_handler_settings(**overrides: object) -> EventHandlerSettings:
    """Raises SettingsError, naming the variable, for a malformed setting."""
    return load_model(EventHandlerSettings, overrides)
