"""The operator's settings: its own ``EDA_OPERATOR__*`` variables beside the shared
broker settings (``EDA_KAFKA__*``, ``EDA_RABBITMQ__*``) every component reads."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import Settings, load_model, load_settings

ENV_PREFIX = "EDA_OPERATOR__"


class OperatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    interval_s: float = Field(default=15.0, gt=0)
    """How often each resource's backlog is read and its Deployment scaled."""
    broker_timeout_s: float = Field(default=10.0, gt=0)
    """A reading or a topology declaration that takes longer counts as the broker unreachable."""
    rabbitmq_statistics_age_s: float = Field(default=15.0, ge=0)
    """How old the management API's statistics may be (RabbitMQ refreshes them every
    ``collect_statistics_interval``, 5 s by default): a ready count seen that recently
    still counts, as consumers may hold those messages unacknowledged by now."""
    rabbitmq_management_url: str = "http://127.0.0.1:15672"
    """The RabbitMQ management API: the only place that counts unacknowledged messages.
    Without user info in it, the user and password of EDA_RABBITMQ__URL are used."""
    namespace: str = ""
    """Watch only this namespace; empty watches all of them."""
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8080, ge=0, le=65535)
    """Liveness endpoint ``/healthz`` (0 turns it off)."""


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    eda: Settings
    operator: OperatorSettings

    @property
    def management(self) -> ManagementEndpoint:
        """Where the RabbitMQ management API is and whom to log in as."""
        url = urlsplit(self.operator.rabbitmq_management_url)
        amqp = urlsplit(self.eda.rabbitmq.url)
        credentials = url if url.username is not None else amqp
        base = urlunsplit((url.scheme, _host_and_port(url.hostname, url.port), url.path, "", ""))
        vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
        return ManagementEndpoint(
            base_url=base.rstrip("/"),
            user=unquote(credentials.username or "guest"),
            password=unquote(credentials.password or "guest"),
            vhost=vhost,
        )


@dataclass(frozen=True, slots=True)
class ManagementEndpoint:
    base_url: str
    user: str
    password: str
    vhost: str

    def __repr__(self) -> str:
        return f"ManagementEndpoint({self.base_url!r}, user={self.user!r}, vhost={self.vhost!r})"


def _host_and_port(host: str | None, port: int | None) -> str:
    host = host or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


def load_config(**operator_overrides: object) -> OperatorConfig:
    eda = load_settings()
    operator = load_model(OperatorSettings, operator_overrides)
    return OperatorConfig(eda, operator)
