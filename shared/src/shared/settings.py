"""Settings read from environment variables with the ``EDA_`` prefix.

Nested groups use a double underscore, for example ``EDA_KAFKA__BOOTSTRAP_SERVERS``
or ``EDA_RABBITMQ__PREFETCH``. ``load_settings`` turns a validation failure into
one message that names every offending variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, get_args

from pydantic import (
    BaseModel,
    Field,
    FilePath,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "EDA_"
NESTED_DELIMITER = "__"


class BrokerKind(StrEnum):
    KAFKA = "kafka"
    RABBITMQ = "rabbitmq"


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # Real Kafka wants the idempotent producer; Tansu refuses it, so it is a setting.
    idempotent_producer: bool = True
    # Tansu answers a waiting fetch only at its deadline: local runs want a small value.
    fetch_max_wait_ms: int = Field(default=500, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    max_poll_records: int = Field(default=500, ge=1)
    # Runs (one partition's records of a fetch) handled at once: one is parsed while
    # the database works on another. Runs of one partition still go one after another.
    runs_in_flight: int = Field(default=2, ge=1)
    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    # aiokafka's 16 KiB default holds ~18 envelopes: a relay batch of 500 then needs
    # many sequential round trips.
    max_batch_size: int = Field(default=1_048_576, ge=16_384)


class RabbitMQSettings(BaseModel):
    url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "events"
    queue_prefix: str = ""
    prefetch: int = Field(default=256, ge=1)
    # Quorum queues dead-letter a message redelivered this many times (crash loops).
    delivery_limit: int = Field(default=20, ge=1)


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
    # Another look when every bucket with pending rows was held by other lanes or relays.
    held_poll_s: float = Field(default=0.01, gt=0)
    retention_s: float = Field(default=86_400, ge=0)
    purge_interval_s: float = Field(default=60, gt=0)
    max_error_backoff_s: float = Field(default=5.0, gt=0)


class MySQLSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=3306, ge=1, le=65535)
    user: str = "root"
    password: str = ""
    database: str = "eda"
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    # How long `migrate` waits for the server to accept connections: in Kubernetes a
    # pod may start before the database beside it. 0 fails at once, as `make run` wants.
    server_wait_s: float = Field(default=0.0, ge=0)


class JwtAlgorithm(StrEnum):
    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"
    HS256 = "HS256"


# RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
_SCOPE_TOKEN = re.compile(r"[!#-\[\]-~]+")

_KEY_KINDS = {
    JwtAlgorithm.RS256: "a PEM RSA public key",
    JwtAlgorithm.ES256: "a PEM EC P-256 public key",
    JwtAlgorithm.EDDSA: "a PEM Ed25519 or Ed448 public key",
    JwtAlgorithm.HS256: "a shared secret (not a PEM key)",
}


class AuthSettings(BaseModel):
    """Bearer tokens (JWT) on the services' HTTP APIs; no check at all unless enabled."""

    enabled: bool = False
    # One key verifies every token, so every algorithm listed must accept it.
    algorithms: Annotated[list[JwtAlgorithm], NoDecode] = Field(
        default_factory=lambda: [JwtAlgorithm.RS256], min_length=1
    )
    key_file: FilePath | None = None
    # The PEM public key or the HS256 secret; after validation it holds the content of
    # key_file when that is the one set.
    key: SecretStr | None = Field(default=None, validate_default=True)
    issuer: str | None = None
    audience: str | None = None
    admin_scope: str = "admin"
    leeway_s: float = Field(default=30, ge=0, le=300)

    @model_validator(mode="before")
    @classmethod
    def _hide_key(cls, data: Any) -> Any:
        # A validation error quotes its input: wrapped, the key shows as '**********'.
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            key = data["key"]
            return {**data, "key": SecretStr(key) if key.strip() else None}
        return data

    @field_validator("algorithms", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """A JSON list, or names separated by commas."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else text.split(",")
        return value

    @field_validator("algorithms")
    @classmethod
    def _one_kind_of_key(cls, algorithms: list[JwtAlgorithm]) -> list[JwtAlgorithm]:
        if JwtAlgorithm.HS256 in algorithms and len(set(algorithms)) > 1:
            # A secret and a public key are never the same key; allowing both kinds is
            # how algorithm-confusion attacks start.
            raise PydanticCustomError(
                "algorithms_mixed",
                "HS256 (a shared secret) cannot be listed with public-key algorithms",
            )
        return algorithms

    @field_validator("admin_scope")
    @classmethod
    def _one_scope(cls, scope: str) -> str:
        if not _SCOPE_TOKEN.fullmatch(scope):
            raise PydanticCustomError(
                "scope_name",
                "one OAuth scope name: printable ASCII, no spaces, quotes or backslashes",
            )
        return scope

    @field_validator("key_file", "issuer", "audience", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # Charts often set a variable to "" rather than leave it out.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("key")
    @classmethod
    def _usable_key(cls, key: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if "key_file" not in info.data or "algorithms" not in info.data:
            return key  # their own errors are reported
        key_file = info.data["key_file"]
        if key_file is not None:
            if key is not None:
                raise PydanticCustomError(
                    "key_twice", "set EDA_AUTH__KEY or EDA_AUTH__KEY_FILE, not both"
                )
            key = SecretStr(_read_key_file(key_file))
        if not info.data.get("enabled"):
            return key
        if key is None:
            raise PydanticCustomError(
                "key_missing",
                "required when EDA_AUTH__ENABLED is true: the PEM public key, or the HS256 "
                "secret (or set EDA_AUTH__KEY_FILE to a file holding it)",
            )
        problem = _unusable_key(key.get_secret_value(), info.data["algorithms"])
        if problem is not None:
            source = f"the content of EDA_AUTH__KEY_FILE ({key_file})" if key_file else "the key"
            raise PydanticCustomError(
                "key_unusable", "{source} {problem}", {"source": source, "problem": problem}
            )
        return key


def _read_key_file(path: FilePath) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise PydanticCustomError(
            "key_file_unreadable", "EDA_AUTH__KEY_FILE ({path}) is not UTF-8 text", {"path": path}
        ) from None
    except OSError as exc:
        raise PydanticCustomError(
            "key_file_unreadable",
            "cannot read EDA_AUTH__KEY_FILE ({path}): {reason}",
            {"path": path, "reason": exc.strerror or type(exc).__name__},
        ) from None


def _unusable_key(key: str, algorithms: Sequence[JwtAlgorithm]) -> str | None:
    """Why ``key`` cannot verify tokens of every algorithm, or None; never the key itself."""
    # Imported here: only processes that verify tokens load PyJWT and cryptography.
    import jwt  # noqa: PLC0415
    from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes  # noqa: PLC0415

    for name in algorithms:
        algorithm = jwt.get_algorithm_by_name(name)
        try:
            prepared = algorithm.prepare_key(key)
        except (jwt.PyJWTError, ValueError, TypeError, UnsupportedAlgorithm):
            return f"is not {_KEY_KINDS[name]}, which {name} needs"
        if isinstance(prepared, get_args(PrivateKeyTypes)):
            return "is a private key: give the public key, this side only verifies"
        weakness = algorithm.check_key_length(prepared)
        if weakness is not None:
            return f"is too weak for {name}: {weakness}"
    return None


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
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    rabbitmq: RabbitMQSettings = Field(default_factory=RabbitMQSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    mysql: MySQLSettings = Field(default_factory=MySQLSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
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
    if "database" not in settings.mysql.model_fields_set:
        updates["mysql"] = settings.mysql.model_copy(update={"database": database})
    return settings.model_copy(update=updates)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"  {env_var_name(error['loc'])}: {error['msg']} (got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise SettingsError("invalid settings:\n" + "\n".join(problems)) from None
