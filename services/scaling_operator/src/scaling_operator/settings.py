"""The operator's settings: its own ``EDA_OPERATOR__*`` variables beside the shared
broker settings (``EDA_KAFKA__*``, ``EDA_RABBITMQ__*``) every component reads."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.secret_files import FileBackedModel
from shared.settings import ENV_PREFIX as SHARED_PREFIX
from shared.settings import NESTED_DELIMITER, Settings, SettingsError, load_settings
from shared.settings_names import unknown_variables

ENV_PREFIX = "EDA_OPERATOR__"
_MANAGEMENT = ENV_PREFIX + "RABBITMQ_MANAGEMENT_"
MANAGEMENT_URL_SETTING = _MANAGEMENT + "URL"
MANAGEMENT_CAFILE_SETTING = _MANAGEMENT + "CAFILE"
MANAGEMENT_CREDENTIALS_SETTINGS = (
    f"{_MANAGEMENT}USERNAME and {_MANAGEMENT}PASSWORD (or their _FILE)"
)


class OperatorSettings(BaseSettings, FileBackedModel):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")
    file_fields = frozenset({"rabbitmq_management_username", "rabbitmq_management_password"})

    interval_s: float = Field(default=15.0, gt=0)
    """How often each resource's backlog is read and its Deployment scaled."""
    broker_timeout_s: float = Field(default=10.0, gt=0)
    """A reading or a topology declaration that takes longer counts as the broker unreachable."""
    rabbitmq_statistics_age_s: float = Field(default=15.0, ge=0)
    """How old the management API's statistics may be (RabbitMQ refreshes them every
    ``collect_statistics_interval``, 5 s by default): a ready count seen that recently
    still counts, as consumers may hold those messages unacknowledged by now."""
    rabbitmq_management_url: str = Field(default="http://127.0.0.1:15672", repr=False)
    """The RabbitMQ management API (http:// or https://): the only place that counts
    unacknowledged messages. Not shown: user info in it would be a password."""
    rabbitmq_management_username: str | None = None
    """The operator's own user for the management API, a monitoring user. Unset: the
    user info of the URL, else the user of EDA_RABBITMQ__URL (the application's)."""
    rabbitmq_management_password: SecretStr | None = None
    rabbitmq_management_username_file: Path | None = None
    """A file holding the user name (a mounted Secret); read into the field above."""
    rabbitmq_management_password_file: Path | None = None
    """A file holding the password; read into the field above."""
    rabbitmq_management_cafile: Path | None = None
    """The CA that signed the management API's certificate (https only). Unset: the CA
    of EDA_RABBITMQ__SSL_CAFILE when that is set, else the system's CAs."""
    namespace: str = ""
    """Watch only this namespace; empty watches all of them."""
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8080, ge=0, le=65535)
    """Liveness endpoint ``/healthz`` (0 turns it off)."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)
    """Prometheus ``/metrics`` (backlog and desired replicas per scaler); 0: not served."""

    @model_validator(mode="after")
    def _management_is_consistent(self) -> OperatorSettings:
        url = urlsplit(self.rabbitmq_management_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"{MANAGEMENT_URL_SETTING} must be an http:// or https:// URL")
        if self.rabbitmq_management_cafile is not None and url.scheme != "https":
            raise ValueError(
                f"{MANAGEMENT_CAFILE_SETTING} is set but {MANAGEMENT_URL_SETTING} is not https://"
            )
        username = self.rabbitmq_management_username
        if not username and self.rabbitmq_management_password is not None:
            raise ValueError(f"{_MANAGEMENT}PASSWORD is set without {_MANAGEMENT}USERNAME")
        if username and self.rabbitmq_management_password is None:
            raise ValueError(f"{_MANAGEMENT}USERNAME needs {_MANAGEMENT}PASSWORD (or its _FILE)")
        if username and url.username is not None:
            raise ValueError(
                f"{MANAGEMENT_URL_SETTING} carries user info and {_MANAGEMENT}USERNAME is set:"
                " give the credentials once"
            )
        return self


CredentialsSource = Literal["own", "url", "amqp"]


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    eda: Settings
    operator: OperatorSettings

    @property
    def management(self) -> ManagementEndpoint:
        """Where the RabbitMQ management API is, whom to log in as, which CA to trust."""
        operator = self.operator
        url = urlsplit(operator.rabbitmq_management_url)
        amqp = urlsplit(self.eda.rabbitmq.url)
        base = urlunsplit((url.scheme, _host_and_port(url.hostname, url.port), url.path, "", ""))
        vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
        source: CredentialsSource
        if operator.rabbitmq_management_username and operator.rabbitmq_management_password:
            source = "own"
            user = operator.rabbitmq_management_username
            password = operator.rabbitmq_management_password.get_secret_value()
        else:
            source = "url" if url.username is not None else "amqp"
            credentials = url if source == "url" else amqp
            user = unquote(credentials.username or "guest")
            password = unquote(credentials.password or "guest")
        cafile, cafile_setting = self._management_ca(url.scheme == "https")
        return ManagementEndpoint(
            base_url=base.rstrip("/"),
            user=user,
            password=password,
            vhost=vhost,
            tls=url.scheme == "https",
            cafile=cafile,
            cafile_setting=cafile_setting,
            credentials_source=source,
        )

    def _management_ca(self, tls: bool) -> tuple[Path | None, str]:
        own = self.operator.rabbitmq_management_cafile
        if not tls or own is not None:
            return own, MANAGEMENT_CAFILE_SETTING
        shared = self.eda.rabbitmq.ssl_cafile
        if shared is not None:
            return shared, f"{MANAGEMENT_CAFILE_SETTING} (unset: EDA_RABBITMQ__SSL_CAFILE's CA)"
        return None, f"{MANAGEMENT_CAFILE_SETTING} (unset: the system's CAs)"


@dataclass(frozen=True, slots=True)
class ManagementEndpoint:
    base_url: str
    """Scheme, host, port and path: never user info, so it may be shown."""
    user: str
    password: str = field(repr=False)
    vhost: str = "/"
    tls: bool = False
    cafile: Path | None = None
    cafile_setting: str = MANAGEMENT_CAFILE_SETTING
    """The setting a certificate that does not verify points at."""
    credentials_source: CredentialsSource = "own"
    """own: the operator's monitoring user; url: the URL's user info; amqp: the
    application's user, from EDA_RABBITMQ__URL."""

    def __repr__(self) -> str:
        return f"ManagementEndpoint({self.base_url!r}, user={self.user!r}, vhost={self.vhost!r})"

    @property
    def credentials_setting(self) -> str:
        """The settings a refused login points at."""
        if self.credentials_source == "url":
            return f"{MANAGEMENT_URL_SETTING} (its user info)"
        if self.credentials_source == "amqp":
            return f"{MANAGEMENT_CREDENTIALS_SETTINGS}: unset, the user of EDA_RABBITMQ__URL tried"
        return MANAGEMENT_CREDENTIALS_SETTINGS


def _host_and_port(host: str | None, port: int | None) -> str:
    host = host or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


class _Groups(BaseModel):
    """The operator's variables as a group of ``EDA_``: ``EDA_OPERATOR__<setting>``."""

    operator: OperatorSettings


def load_config(**operator_overrides: Any) -> OperatorConfig:
    """Both groups of settings; SettingsError naming every bad EDA_OPERATOR__ variable,
    and every one that names no setting (a typo would otherwise be ignored)."""
    eda = load_settings()
    unknown = unknown_variables(os.environ, _Groups, SHARED_PREFIX, NESTED_DELIMITER)
    try:
        operator = OperatorSettings(**operator_overrides)
    except ValidationError as exc:
        problems = [f"  {_problem(error)}" for error in exc.errors()]
        raise SettingsError("invalid settings:\n" + "\n".join(unknown + problems)) from None
    if unknown:
        raise SettingsError("invalid settings:\n" + "\n".join(unknown))
    return OperatorConfig(eda, operator)


# Values of these may be secrets (user info in a URL is a password): never echoed back.
_SECRET_WORDS = ("password", "secret", "token", "url", "user")


def _problem(error: Any) -> str:
    """``EDA_OPERATOR__<VAR>: what is wrong``, with the value read unless it may be secret."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(SHARED_PREFIX):
        return message
    name, separator, rest = message.partition(": ")
    if separator and name.isidentifier() and name.islower():  # "<field>_file: ..." of a file
        return f"{ENV_PREFIX}{name.upper()}: {rest}"
    parts = [str(part) for part in error["loc"] if not isinstance(part, int)]
    variable = ENV_PREFIX + NESTED_DELIMITER.join(parts).upper()
    value = error.get("input")
    secret = any(word in variable.lower() for word in _SECRET_WORDS)
    shown = "" if secret or isinstance(value, dict | list) else f" (got {value!r})"
    return f"{variable}: {message}{shown}"
