"""A service's settings: the shared ``EDA_*`` groups with its own defaults, and HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.routing import check_routes
from shared.service.definition import ServiceDefinition
from shared.settings import (
    ENV_PREFIX,
    Settings,
    SettingsError,
    load_settings,
    problem_lines,
    with_service_defaults,
)


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    http_host: str = Field(default="127.0.0.1", min_length=1)
    # None: the service's own default port.
    http_port: int | None = Field(default=None, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # uvicorn's limit_concurrency: above this many open connections or requests in
    # progress, a request is answered 503 at once instead of queueing in memory. Idle
    # keep-alive connections count, so leave room for the balancers' pools.
    http_limit_concurrency: int = Field(default=1000, ge=1)
    # /metrics on a port of its own, so that a NetworkPolicy can admit the scraper to
    # the metrics and nothing else; None serves it on the API's port.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    service: ServiceDefinition
    platform: Settings
    http: HttpSettings

    @property
    def http_port(self) -> int:
        return self.http.http_port or self.service.http_port


def load_service_settings(
    service: ServiceDefinition, platform: Settings | None = None, http: HttpSettings | None = None
) -> ServiceSettings:
    """Read what is not given from the environment; raise SettingsError naming every bad
    variable of both groups, or a broker route that cannot work."""
    problems: list[str] = []
    if http is None:
        try:
            http = HttpSettings()
        except ValidationError as exc:
            problems += problem_lines(exc)
    if platform is None:
        try:
            platform = load_settings()
        except SettingsError as exc:
            problems += str(exc).splitlines()[1:]  # the lines after "invalid settings:"
    if problems or platform is None or http is None:
        raise SettingsError("invalid settings:\n" + "\n".join(problems))
    platform = with_service_defaults(platform, source=service.source, database=service.database)
    check_routes(platform)
    return ServiceSettings(service, platform, http)
