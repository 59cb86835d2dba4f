"""The ``EDA_AUTH__*`` settings: which JWTs the APIs accept, where the keys that verify
them come from (a static key, or the identity provider's JWKS), and the checks that stop
a process at start-up when they cannot work: a key of the wrong kind, too weak or
unreadable; auth on without an issuer, an audience or a key source."""

from __future__ import annotations

import json
import re
import ssl
import urllib.parse
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
_CLAIM_NAME = re.compile(r"[!-~]+")
# The fields that hold one name: what the name must match, and the error otherwise.
_NAME_RULES = {
    "admin_scope": (
        _SCOPE_TOKEN,
        "scope_name",
        "one OAuth scope name: printable ASCII, no spaces, quotes or backslashes",
    ),
    "subject_claim": (
        _CLAIM_NAME,
        "claim_name",
        "one claim name: printable ASCII, no spaces, such as sub or oid",
    ),
}

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
    # Required with auth on: a token from another issuer, or for another API, is refused.
    issuer: str | None = Field(default=None, validate_default=True)
    audience: str | None = Field(default=None, validate_default=True)
    # Keys from the identity provider: its JWKS at jwks_url, or the jwks_uri of the
    # discovery document under issuer. Chosen by the token's kid, refetched on rotation.
    jwks_url: str | None = None
    discovery: bool = False
    # The CA bundle that signs the identity provider's https certificate (a private IdP).
    ca_file: FilePath | None = None
    # An unknown kid refetches the key set at most this often (a flood of forged kids
    # costs the provider one request per interval); the set is also refreshed this often.
    jwks_refetch_min_s: float = Field(default=30, ge=0, le=3600)
    jwks_refresh_s: float = Field(default=300, ge=1, le=86400)
    key_file: FilePath | None = None
    # The PEM public key or the HS256 secret; after validation it holds the content of
    # key_file when that is the one set.
    key: SecretStr | None = Field(default=None, validate_default=True)
    admin_scope: str = "eda:admin"
    # The claim naming the caller: "sub", or "oid" on Entra ID (its sub is per client).
    subject_claim: str = "sub"
    # exp - iat above this is refused, and so is a token without iat.
    max_token_lifetime_s: int = Field(default=5400, ge=60, le=172800)
    # Only tokens typed "at+jwt" (RFC 9068); otherwise untyped ones pass the ID-token check.
    require_at_jwt: bool = False
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

    @field_validator("admin_scope", "subject_claim")
    @classmethod
    def _one_name(cls, name: str, info: ValidationInfo) -> str:
        pattern, error, message = _NAME_RULES[info.field_name or ""]
        if not pattern.fullmatch(name):
            raise PydanticCustomError(error, message)
        return name

    @field_validator("key_file", "issuer", "audience", "jwks_url", "ca_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # Charts often set a variable to "" rather than leave it out.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("issuer", "audience")
    @classmethod
    def _required_when_enabled(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("enabled"):
            what = (
                "the identity provider's issuer, exactly as in the tokens' iss claim"
                if info.field_name == "issuer"
                else "this API's identifier, as in the tokens' aud claim"
            )
            # Named here in full: the settings error then adds no "(got None)".
            raise PydanticCustomError(
                "required_when_enabled",
                "EDA_AUTH__{name}: required when EDA_AUTH__ENABLED is true: {what}",
                {"name": str(info.field_name).upper(), "what": what},
            )
        return value

    @field_validator("jwks_url")
    @classmethod
    def _https_url(cls, url: str | None) -> str | None:
        if url is not None and not _is_https_url(url):
            raise PydanticCustomError(
                "jwks_url", "an https:// URL with a host and no user or password"
            )
        return url

    @field_validator("ca_file")
    @classmethod
    def _ca_bundle(cls, path: FilePath | None) -> FilePath | None:
        if path is None:
            return None
        try:
            ssl.create_default_context(cafile=str(path))
        except (ssl.SSLError, OSError, ValueError):
            raise PydanticCustomError(
                "ca_file", "{path} holds no PEM CA certificate", {"path": str(path)}
            ) from None
        return path

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
        from_provider = info.data.get("jwks_url") is not None or info.data.get("discovery")
        if key is None and not from_provider:
            raise PydanticCustomError(
                "key_missing",
                "required when EDA_AUTH__ENABLED is true: the PEM public key, or the HS256 "
                "secret (or set EDA_AUTH__KEY_FILE to a file holding it); or take the keys "
                "from the identity provider with EDA_AUTH__JWKS_URL or EDA_AUTH__DISCOVERY",
            )
        if key is None:
            return None
        if from_provider:
            raise PydanticCustomError(
                "key_sources",
                "set one key source: EDA_AUTH__KEY (or EDA_AUTH__KEY_FILE), "
                "EDA_AUTH__JWKS_URL or EDA_AUTH__DISCOVERY, not several",
            )
        problem = _unusable_key(key.get_secret_value(), info.data["algorithms"])
        if problem is not None:
            source = f"the content of EDA_AUTH__KEY_FILE ({key_file})" if key_file else "the key"
            raise PydanticCustomError(
                "key_unusable", "{source} {problem}", {"source": source, "problem": problem}
            )
        return key

    @model_validator(mode="after")
    def _provider_keys(self) -> AuthSettings:
        if not self.enabled or not self.keys_from_provider:
            return self
        if self.jwks_url is not None and self.discovery:
            raise ValueError("jwks_url: set EDA_AUTH__JWKS_URL or EDA_AUTH__DISCOVERY, not both")
        if JwtAlgorithm.HS256 in self.algorithms:
            raise ValueError(
                "algorithms: HS256 needs a shared secret (EDA_AUTH__KEY); an identity "
                "provider's JWKS publishes public keys only"
            )
        if self.discovery and not _is_https_url(self.issuer or ""):
            raise ValueError(
                "issuer: EDA_AUTH__DISCOVERY reads the issuer's "
                "/.well-known/openid-configuration, so the issuer must be an https:// URL"
            )
        return self

    @property
    def keys_from_provider(self) -> bool:
        return self.jwks_url is not None or self.discovery


def _is_https_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
    )


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
