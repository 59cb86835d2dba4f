"""Verify a bearer JWT and name the principal it speaks for, or say why it is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt
from jwt.types import Options

from shared.http.auth_settings import AuthSettings

# Far above any real token; refused before any decoding work.
MAX_TOKEN_LENGTH = 8192

_REFUSALS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is not meant for this service (aud)"),
    (jwt.InvalidIssuerError, "the token's issuer is not trusted (iss)"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request speaks for: the token's ``sub`` and its scopes."""

    subject: str
    scopes: frozenset[str]
    is_admin: bool = False

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


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        if settings.key is None:
            raise ValueError("a TokenVerifier needs the verification key of EDA_AUTH__KEY")
        self._algorithms = [str(algorithm) for algorithm in settings.algorithms]
        # Settings checked that the key suits every listed algorithm: one family, one
        # parsed key, instead of parsing the PEM on every request.
        self._key = jwt.get_algorithm_by_name(self._algorithms[0]).prepare_key(
            settings.key.get_secret_value()
        )
        self._issuer = settings.issuer
        self._audience = settings.audience
        self._leeway = settings.leeway_s
        self._admin_scope = settings.admin_scope
        required = ["exp", "sub"]
        required += ["iss"] if settings.issuer is not None else []
        required += ["aud"] if settings.audience is not None else []
        # Unset, an audience is not checked: PyJWT would refuse every token carrying one.
        self._options: Options = {"require": required, "verify_aud": self._audience is not None}
        self._jwt = jwt.PyJWT()

    def verify(self, token: str) -> Principal:
        """Raises TokenRejectedError for anything but a valid, signed, unexpired token."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejectedError("the token is too long")
        try:
            claims = self._jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                options=self._options,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
            )
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(_refusal(exc)) from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        subject = claims["sub"]  # present and a string: PyJWT checked both
        if not subject.strip():
            raise TokenRejectedError("the token's 'sub' claim is empty")
        scopes = _scopes(claims.get("scope")) | _scopes(claims.get("scp"))
        return Principal(subject=subject, scopes=scopes, is_admin=self._admin_scope in scopes)


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
