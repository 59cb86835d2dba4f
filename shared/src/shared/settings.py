"""Settings read from environment variables with the ``EDA_`` prefix.

Nested groups use a double underscore, for example ``EDA_KAFKA__BOOTSTRAP_SERVERS``
or ``EDA_RABBITMQ__PREFETCH``. ``load_settings`` turns a validation failure into
one message that names every offending variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth_settings import AuthSettings
from shared.secret_files import FileBackedModel
from shared.settings_names import unknown_variables

ENV_PREFIX = "EDA_"
NESTED_DELIMITER = "__"
# A consumed message's body is parsed only up to this size (1 MiB).
DEFAULT_MAX_MESSAGE_BYTES = 1_048_576

_Loaded = TypeVar("_Loaded", bound=BaseModel)


class BrokerKind(StrEnum):
    KAFKA = "kafka"
    RABBITMQ = "rabbitmq"


KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
MySQLSslMode = Literal["DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"]


class KafkaSettings(FileBackedModel):
    file_fields = frozenset(
        {
            "sasl_username",
            "sasl_password",
            "sasl_oauthbearer_client_id",
            "sasl_oauthbearer_client_secret",
        }
    )

    bootstrap_servers: str = "127.0.0.1:9092"
    # The names and values of Kafka's own clients (security.protocol, sasl.mechanism).
    security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: KafkaSaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # OAUTHBEARER: a token from an OIDC provider's client-credentials grant.
    sasl_oauthbearer_token_endpoint_url: str | None = None
    sasl_oauthbearer_client_id: str | None = None
    sasl_oauthbearer_client_secret: SecretStr | None = None
    sasl_oauthbearer_scope: str | None = None
    # A CA alone verifies the brokers; a client certificate and key make it mutual TLS.
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Off only for brokers whose certificates name no usable host (not recommended).
    ssl_check_hostname: bool = True
    topic_prefix: str = ""
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # Real Kafka wants the idempotent producer; Tansu refuses it, so it is a setting.
    idempotent_producer: bool = True
    # Tansu answers a waiting fetch only at its deadline: local runs want a small value.
    fetch_max_wait_ms: int = Field(default=500, ge=1)
    # After 5 s without records, fetches wait this long instead (unset: no change).
    # For brokers that answer only at the deadline (Tansu): an idle consumer then sends
    # a few fetches a second rather than a hundred, and the first record after idle
    # waits up to this long.
    idle_fetch_max_wait_ms: int | None = Field(default=None, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    # Handled offsets are committed together at most this often (0: after each run);
    # a crash redelivers up to this long's handled records, which idempotency absorbs.
    commit_interval_ms: int = Field(default=100, ge=0, le=60_000)
    max_poll_records: int = Field(default=500, ge=1)
    # Runs (one partition's records of a fetch) handled at once: one is parsed while
    # the database works on another. Runs of one partition still go one after another.
    runs_in_flight: int = Field(default=2, ge=1)
    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    # aiokafka's 16 KiB default holds ~18 envelopes: a relay batch of 500 then needs
    # many sequential round trips.
    max_batch_size: int = Field(default=1_048_576, ge=16_384)

    @model_validator(mode="after")
    def _security_is_complete(self) -> KafkaSettings:
        check_kafka_security(self)
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")


def check_kafka_security(kafka: KafkaSettings) -> None:
    """Refuse a combination that would connect differently from what was meant: a CA
    given to a plaintext link, SASL without credentials, a certificate without its key."""
    prefix = "EDA_KAFKA__"
    tls_files = [
        name for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile") if getattr(kafka, name)
    ]
    if tls_files and not kafka.uses_tls:
        raise ValueError(
            f"{prefix}{tls_files[0].upper()} is set but {prefix}SECURITY_PROTOCOL is "
            f"{kafka.security_protocol}: use SSL or SASL_SSL"
        )
    if (kafka.ssl_certfile is None) != (kafka.ssl_keyfile is None):
        raise ValueError(f"{prefix}SSL_CERTFILE and {prefix}SSL_KEYFILE go together")
    if not kafka.uses_sasl:
        if kafka.sasl_mechanism is not None:
            raise ValueError(
                f"{prefix}SASL_MECHANISM is set but {prefix}SECURITY_PROTOCOL is "
                f"{kafka.security_protocol}: use SASL_SSL or SASL_PLAINTEXT"
            )
        return
    if kafka.sasl_mechanism is None:
        raise ValueError(
            f"{prefix}SECURITY_PROTOCOL={kafka.security_protocol} needs {prefix}SASL_MECHANISM"
        )
    endpoint = kafka.sasl_oauthbearer_token_endpoint_url
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ValueError(f"{prefix}SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL must be an https:// URL")
    needed: tuple[str, ...]
    if kafka.sasl_mechanism == "OAUTHBEARER":
        needed = (
            "sasl_oauthbearer_token_endpoint_url",
            "sasl_oauthbearer_client_id",
            "sasl_oauthbearer_client_secret",
        )
    else:
        needed = ("sasl_username", "sasl_password")
    missing = [prefix + name.upper() for name in needed if getattr(kafka, name) in (None, "")]
    if missing:
        raise ValueError(
            f"SASL {kafka.sasl_mechanism} needs {' and '.join(missing)} (or their _FILE)"
        )


class RabbitMQSettings(FileBackedModel):
    file_fields = frozenset({"url"})

    # amqps:// for TLS. The URL carries the password: it is never logged or shown.
    url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", repr=False)
    # A private CA, and a client certificate and key for mutual TLS (amqps only).
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    exchange: str = "events"
    queue_prefix: str = ""
    prefetch: int = Field(default=256, ge=1)
    # Quorum queues dead-letter a message redelivered this many times (crash loops).
    delivery_limit: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _tls_needs_amqps(self) -> RabbitMQSettings:
        prefix = "EDA_RABBITMQ__"
        tls_files = [
            name for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile") if getattr(self, name)
        ]
        if tls_files and not self.url.startswith("amqps://"):
            raise ValueError(
                f"{prefix}{tls_files[0].upper()} is set but {prefix}URL is not amqps://"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError(f"{prefix}SSL_CERTFILE and {prefix}SSL_KEYFILE go together")
        return self


class RetrySettings(BaseModel):
    max_attempts: int = Field(default=12, ge=1)
    initial_backoff_s: float = Field(default=0.2, gt=0)
    max_backoff_s: float = Field(default=10.0, gt=0)


class OutboxSettings(BaseModel):
    batch_size: int = Field(default=500, ge=1, le=10_000)
    # Concurrent passes per relay: one lane publishes while another reads or marks rows.
    lanes: int = Field(default=2, ge=1, le=8)
    # Buckets (of 16) one lane locks per pass: less than all, so lanes and replicas share.
    buckets_per_pass: int = Field(default=8, ge=1, le=16)
    idle_poll_s: float = Field(default=0.2, gt=0)
    # An idle relay looks less and less often, up to this: its own process's commits
    # wake it at once, so only rows of processes that died before their relay ran wait.
    idle_poll_max_s: float = Field(default=2.0, gt=0)
    # A wake within 0.1 s of the last pass that published waits this long for more
    # commits to share the pass (0: none); a wake after a quiet spell passes at once.
    linger_s: float = Field(default=0.005, ge=0, le=1)
    # Another look when every bucket with pending rows was held by other lanes or relays.
    held_poll_s: float = Field(default=0.01, gt=0)
    retention_s: float = Field(default=86_400, ge=0)
    purge_interval_s: float = Field(default=60, gt=0)
    max_error_backoff_s: float = Field(default=5.0, gt=0)


class IdempotencySettings(BaseModel):
    """``Idempotency-Key`` on the services' POSTs (decisions 20 and 25)."""

    # How long a completed key answers with its stored response; then it is purged.
    retention_s: float = Field(default=86_400, gt=0)
    # A key claimed longer ago than this, and still not completed, was left by a request
    # that died: the next request with it may take it over.
    claim_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    purge_interval_s: float = Field(default=60, gt=0)
    # The Retry-After of the 409 answered while the first request is still in flight.
    retry_after_s: int = Field(default=1, ge=1, le=60)


class MySQLSettings(FileBackedModel):
    file_fields = frozenset({"user", "password"})

    host: str = "127.0.0.1"
    port: int = Field(default=3306, ge=1, le=65535)
    user: str = "root"
    password: str = Field(default="", repr=False)
    # The mysql client's --ssl-mode. REQUIRED and above refuse a session that is not
    # encrypted; VERIFY_CA checks the certificate, VERIFY_IDENTITY its host name too.
    ssl_mode: MySQLSslMode = "PREFERRED"
    ssl_ca: Path | None = None
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    database: str = "eda"
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    # How long taking a connection from a pool may wait (all busy, or a slow connect):
    # then ConnectionAcquireTimeout, which the APIs answer 503 with Retry-After and
    # subscribers retry, rather than requests piling up in memory.
    acquire_timeout_s: float = Field(default=5.0, gt=0, le=300)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    # How long `migrate` waits for the server to accept connections: in Kubernetes a
    # pod may start before the database beside it. 0 fails at once, as `make run` wants.
    server_wait_s: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _tls_is_consistent(self) -> MySQLSettings:
        prefix = "EDA_MYSQL__"
        if self.ssl_mode == "DISABLED" and (self.ssl_ca or self.ssl_cert or self.ssl_key):
            raise ValueError(
                f"{prefix}SSL_CA, _CERT or _KEY is set but {prefix}SSL_MODE is DISABLED"
            )
        if (self.ssl_cert is None) != (self.ssl_key is None):
            raise ValueError(f"{prefix}SSL_CERT and {prefix}SSL_KEY go together")
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"{prefix}POOL_MIN_SIZE ({self.pool_min_size}) is above "
                f"{prefix}POOL_MAX_SIZE ({self.pool_max_size})"
            )
        return self

    @property
    def requires_tls(self) -> bool:
        return self.ssl_mode in ("REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="ignore",
    )

    source: str = "urn:eda:unknown"
    default_broker: BrokerKind = BrokerKind.KAFKA
    # Event type -> broker, e.g. EDA_ROUTES='{"order.placed": "rabbitmq"}'.
    routes: dict[str, BrokerKind] = Field(default_factory=dict)
    # A consumed message's body larger than this is dead-lettered before any parsing.
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, ge=1)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    rabbitmq: RabbitMQSettings = Field(default_factory=RabbitMQSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    mysql: MySQLSettings = Field(default_factory=MySQLSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    idempotency: IdempotencySettings = Field(default_factory=IdempotencySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)


class SettingsError(RuntimeError):
    """Raised at startup when an environment variable is missing or malformed."""


def env_var_name(location: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in location if not isinstance(part, int)]
    return ENV_PREFIX + NESTED_DELIMITER.join(parts).upper()


def with_service_defaults(settings: Settings, *, source: str, database: str) -> Settings:
    """A service's own defaults for what the shared ones cannot know (its CloudEvents
    source, its database name), applied only where the environment chose nothing."""
    updates: dict[str, object] = {}
    if "source" not in settings.model_fields_set:
        updates["source"] = source
    elif settings.source != source:
        # Consumers accept each event type from its producer's source only
        # (shared.events.producers): another one would dead-letter every event.
        raise SettingsError(
            f"invalid settings:\nEDA_SOURCE: this service publishes as {source!r}, the source"
            " its consumers accept; leave EDA_SOURCE unset"
        )
    if "database" not in settings.mysql.model_fields_set:
        updates["mysql"] = settings.mysql.model_copy(update={"database": database})
    return settings.model_copy(update=updates)


def load_settings(**overrides: object) -> Settings:
    return load_model(Settings, overrides)


def load_model(model: type[_Loaded], overrides: Mapping[str, object] | None = None) -> _Loaded:
    """Read ``model`` from the environment; raise SettingsError naming every bad variable,
    and every variable of one of its groups that names no setting (a typo, or a setting
    of another version), which would otherwise be ignored without a word."""
    unknown = unknown_variables(os.environ, model, ENV_PREFIX, NESTED_DELIMITER)
    try:
        loaded = model(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(
            "invalid settings:\n" + "\n".join(unknown + problem_lines(exc))
        ) from None
    if unknown:
        raise SettingsError("invalid settings:\n" + "\n".join(unknown))
    return loaded


def describe_problems(exc: ValidationError) -> str:
    """One line per bad variable: its name, what is wrong, and the value read."""
    return "invalid settings:\n" + "\n".join(problem_lines(exc))


def problem_lines(exc: ValidationError) -> list[str]:
    return [f"  {_problem(error)}" for error in exc.errors()]


def _problem(error: Any) -> str:
    """``EDA_<VAR>: what is wrong``: a check of a whole group names its variables itself."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(ENV_PREFIX):
        return message
    field, separator, rest = message.partition(": ")
    if separator and field.isidentifier() and field.islower():
        return f"{env_var_name((*error['loc'], field))}: {rest}"
    return f"{env_var_name(error['loc'])}: {message}{_shown(error)}"


# Values of these may be secrets (a URL carries its password): never echoed back.
_SECRET_WORDS = ("password", "secret", "token", "key", "url", "user")


def _shown(error: Any) -> str:
    value = error.get("input")
    name = env_var_name(error["loc"]).lower()
    if isinstance(value, (dict, list)) or any(word in name for word in _SECRET_WORDS):
        return ""
    return f" (got {value!r})"
