"""Verify a bearer JWT and name the principal it speaks for, or say why it is refused.

What is accepted (docs/decisions/0029): a signature by a configured algorithm and the
key the token names (``kid``) or the one static key; the configured ``iss`` and ``aud``;
``exp`` and ``iat`` present, ``exp - iat`` at most ``EDA_AUTH__MAX_TOKEN_LIFETIME_S``;
an access token, not an ID token: a ``typ`` header of ``at+jwt`` (RFC 9068), or an
untyped one (no ``typ``, or the generic ``JWT``) carrying none of the ID-token markers
below; and a non-empty subject in ``EDA_AUTH__SUBJECT_CLAIM``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import jwt
from jwt.types import Options

from shared.auth_settings import AuthSettings
from shared.http.jwks import KeysUnavailableError, ProviderKeys, UnknownKeyError

# Far above any real token; refused before any decoding work.
MAX_TOKEN_LENGTH = 8192

ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# "JWT" says only that it is a JWT (RFC 7519 5.1): what Keycloak (by default), Entra ID
# and Auth0's default profile put on access tokens and ID tokens alike.
UNTYPED = frozenset({"jwt", "application/jwt"})
# Claims only an OpenID Connect ID token carries (OIDC Core 2, 3.1.3.6, 3.3.2.11).
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")

_REFUSALS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is not meant for this service (aud)"),
    (jwt.InvalidIssuerError, "the token's issuer is not trusted (iss)"),
    (jwt.InvalidIssuedAtError, "the token's 'iat' claim is not a time"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request speaks for: the token's issuer and subject (the subject claim is
    ``EDA_AUTH__SUBJECT_CLAIM``), and its scopes. ``(issuer, subject)`` names a caller;
    a subject alone is only unique within its issuer."""

    subject: str
    scopes: frozenset[str]
    is_admin: bool = False
    issuer: str = field(kw_only=True)

    def is_subject(self, subject: UUID | str) -> bool:
        if isinstance(subject, str):
            return self.subject == subject
        try:
            # Any spelling of the UUID (upper case, braces, urn:uuid:) names the same user.
            return UUID(self.subject) == subject
        except ValueError:
            return False


class TokenRejectedError(Exception):
    """``description`` says why in words safe to send back: never the token or the key."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class SigningKeysUnavailableError(Exception):
    """The identity provider's keys could not be fetched: the token cannot be judged yet
    (answered 503, not 401: the caller did nothing wrong)."""


class KeySource(Protocol):
    async def key_for(self, header: dict[str, Any], *, claims_our_issuer: bool) -> Any: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class StaticKey:
    """The one key of EDA_AUTH__KEY (or _KEY_FILE), parsed once; ``kid`` is not looked at."""

    def __init__(self, settings: AuthSettings) -> None:
        if settings.key is None:
            raise ValueError("a StaticKey needs the verification key of EDA_AUTH__KEY")
        # Settings checked that the key suits every listed algorithm: one family, one
        # parsed key, instead of parsing the PEM on every request.
        self._key = jwt.get_algorithm_by_name(str(settings.algorithms[0])).prepare_key(
            settings.key.get_secret_value()
        )

    async def key_for(self, header: dict[str, Any], *, claims_our_issuer: bool) -> Any:
        return self._key

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class JwksKeys:
    """The identity provider's keys, chosen by the token's ``kid``."""

    def __init__(self, keys: ProviderKeys) -> None:
        self.provider = keys

    async def key_for(self, header: dict[str, Any], *, claims_our_issuer: bool) -> Any:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejectedError("the token names no signing key (kid)")
        try:
            # Only a token claiming our issuer may cost the provider a request.
            return await self.provider.key(kid, may_refetch=claims_our_issuer)
        except UnknownKeyError:
            raise TokenRejectedError(
                "the token's signing key (kid) is not one of the issuer's keys"
            ) from None
        except KeysUnavailableError:
            raise SigningKeysUnavailableError from None

    async def start(self) -> None:
        await self.provider.start()

    async def stop(self) -> None:
        await self.provider.stop()


def key_source(settings: AuthSettings) -> KeySource:
    return JwksKeys(ProviderKeys(settings)) if settings.keys_from_provider else StaticKey(settings)


class TokenVerifier:
    def __init__(self, settings: AuthSettings, keys: KeySource | None = None) -> None:
        if settings.issuer is None or settings.audience is None:
            raise ValueError("a TokenVerifier needs EDA_AUTH__ISSUER and EDA_AUTH__AUDIENCE")
        self.keys = keys if keys is not None else key_source(settings)
        self._algorithms = [str(algorithm) for algorithm in settings.algorithms]
        self._issuer = settings.issuer
        self._audience = settings.audience
        self._leeway = settings.leeway_s
        self._admin_scope = settings.admin_scope
        self._subject_claim = settings.subject_claim
        self._max_lifetime = settings.max_token_lifetime_s
        self._require_at_jwt = settings.require_at_jwt
        self._options: Options = {"require": ["exp", "iat", "iss", "aud", self._subject_claim]}
        self._jwt = jwt.PyJWT()

    async def verify(self, token: str) -> Principal:
        """Raises TokenRejectedError for anything but a valid, signed, unexpired access
        token; SigningKeysUnavailableError while the provider's keys cannot be had."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejectedError("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(_refusal(exc)) from None
        if header.get("alg") not in self._algorithms:
            raise TokenRejectedError("the token's algorithm is not accepted")
        typed = self._token_type(header)
        key = await self.keys.key_for(header, claims_our_issuer=self._claims_our_issuer(token))
        try:
            claims = self._jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                options=self._options,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
            )
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(_refusal(exc)) from None
        self._check_lifetime(claims)
        if not typed:
            _refuse_id_token(claims)
        return self._principal(claims)

    def _token_type(self, header: dict[str, Any]) -> bool:
        """True for an explicitly typed access token, False for an untyped JWT."""
        typ = header.get("typ")
        if typ is None:
            kind = None
        elif isinstance(typ, str):
            kind = typ.lower()  # media types compare case-insensitively
        else:
            raise TokenRejectedError("the token's 'typ' header is not text")
        if kind in ACCESS_TOKEN_TYPES:
            return True
        if kind is not None and kind not in UNTYPED:
            raise TokenRejectedError("the token is not an access token (typ)")
        if self._require_at_jwt:
            raise TokenRejectedError("the token is not typed as an access token (typ at+jwt)")
        return False

    def _claims_our_issuer(self, token: str) -> bool:
        with contextlib.suppress(jwt.PyJWTError, ValueError, TypeError):
            unverified = self._jwt.decode(token, options={"verify_signature": False})
            return bool(unverified.get("iss") == self._issuer)
        return False

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        # PyJWT checked that both are numbers.
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > self._max_lifetime:
            raise TokenRejectedError("the token lives longer (exp - iat) than this service accepts")

    def _principal(self, claims: dict[str, Any]) -> Principal:
        subject = claims[self._subject_claim]
        if not isinstance(subject, str):
            raise TokenRejectedError(f"the token's '{self._subject_claim}' claim is not text")
        if not subject.strip():
            raise TokenRejectedError(f"the token's '{self._subject_claim}' claim is empty")
        scopes = _scopes(claims.get("scope")) | _scopes(claims.get("scp"))
        return Principal(
            subject=subject,
            scopes=scopes,
            is_admin=self._admin_scope in scopes,
            issuer=claims["iss"],
        )


def _refuse_id_token(claims: dict[str, Any]) -> None:
    """An untyped token is refused as an ID token when it carries a claim only ID tokens
    carry, or when it is addressed to the very client it was issued to (``aud`` is
    ``azp``) and grants no scope: the shape of an ID token whose client id happens to be
    the configured audience."""
    if any(name in claims for name in ID_TOKEN_CLAIMS):
        raise TokenRejectedError("an ID token is not an access token")
    azp, aud = claims.get("azp"), claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if (
        isinstance(azp, str)
        and audiences == [azp]
        and claims.get("scope") is None
        and claims.get("scp") is None
    ):
        raise TokenRejectedError("an ID token is not an access token")


def _scopes(claim: Any) -> frozenset[str]:
    """``scope`` is space-separated (RFC 8693); some issuers send ``scp`` as a list."""
    if claim is None:
        return frozenset()
    if isinstance(claim, str):
        return frozenset(claim.split())
    if isinstance(claim, list) and all(isinstance(item, str) for item in claim):
        return frozenset(scope for item in claim for scope in item.split())
    raise TokenRejectedError(
        "the token's scopes are neither a space-separated string nor a list of strings"
    )


def _refusal(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no '{exc.claim}' claim"
    for kind, description in _REFUSALS:
        if isinstance(exc, kind):
            return description
    return "the token is malformed"
