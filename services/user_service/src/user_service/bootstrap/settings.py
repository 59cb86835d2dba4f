"""The shared ``EDA_*`` settings with this service's defaults, plus its HTTP settings."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.routing import check_routes
from shared.settings import (
    ENV_PREFIX,
    Settings,
    SettingsError,
    env_var_name,
    load_settings,
    with_service_defaults,
)

SERVICE_NAME = "user-service"
SOURCE = f"urn:eda:{SERVICE_NAME}"
DEFAULT_DATABASE = "users"
DEFAULT_PORT = 8001


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)


@dataclass(frozen=True, slots=True)
class UserServiceSettings:
    platform: Settings
    service: ServiceSettings


def load_user_service_settings() -> UserServiceSettings:
    """Read the environment; raise SettingsError naming every bad variable of both groups."""
    problems: list[str] = []
    try:
        service = ServiceSettings()
    except ValidationError as exc:
        problems += [f"  {env_var_name(error['loc'])}: {error['msg']}" for error in exc.errors()]
    try:
        platform = load_settings()
    except SettingsError as exc:
        problems += str(exc).splitlines()[1:]  # the lines after "invalid settings:"
    if problems:
        raise SettingsError("invalid settings:\n" + "\n".join(problems))
    platform = with_service_defaults(platform, source=SOURCE, database=DEFAULT_DATABASE)
    check_routes(platform)
    return UserServiceSettings(platform=platform, service=service)
