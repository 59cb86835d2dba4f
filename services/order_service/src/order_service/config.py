"""The order-service's own settings (HTTP, event handlers) and defaults; shared ones come
from ``shared``."""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ENV_PREFIX, SettingsError, env_var_name

SERVICE_NAME = "order-service"
SOURCE = f"urn:eda:{SERVICE_NAME}"
DEFAULT_DATABASE = "orders"
DEFAULT_HTTP_PORT = 8002

_Loaded = TypeVar("_Loaded", bound=BaseSettings)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    http_host: str = Field(default="127.0.0.1", min_length=1)
    http_port: int = Field(default=DEFAULT_HTTP_PORT, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)


class EventHandlerSettings(BaseSettings):
    """Read by the subscribers that run this service's event handlers."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # How long after an order.placed its unknown customer is waited for (the
    # user.registered may still be on its way) before the order is rejected.
    unknown_customer_wait_s: float = Field(default=30.0, ge=0, le=3600)


def load_service_settings(**overrides: object) -> ServiceSettings:
    return _load(ServiceSettings, overrides)


def load_event_handler_settings(**overrides: object) -> EventHandlerSettings:
    return _load(EventHandlerSettings, overrides)


def _load(model: type[_Loaded], overrides: dict[str, object]) -> _Loaded:
    try:
        return model(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"  {env_var_name(error['loc'])}: {error['msg']} (got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise SettingsError("invalid settings:\n" + "\n".join(problems)) from None
