"""The ``EDA_AUTH__*`` settings: which JWTs the APIs accept, and the checks that refuse
a key that cannot verify them (wrong kind, too weak, unreadable) at start-up."""

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
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import NoDecode


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
