"""Keys made for a test run and tokens minted with them, as an issuer would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from jwt.algorithms import Algorithm

from shared.auth_settings import AuthSettings, JwtAlgorithm
from tests.support import claims as token_claims

ISSUER = "https://login.example.test/"
# Still importable from here, where the token unit tests find them.
AUDIENCE = token_claims.AUDIENCE
OMIT: Any = token_claims.OMIT


@dataclass(frozen=True)
class KeyPair:
    algorithm: JwtAlgorithm
    signing_key: str  # the issuer's: a PEM private key, or the HS256 secret
    verification_key: str  # the services': a PEM public key, or the same secret


def _pem_pair(algorithm: JwtAlgorithm, private: PrivateKeyTypes) -> KeyPair:
    signing = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    verification = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(algorithm, signing, verification)


def rsa_pair() -> KeyPair:
    return _pem_pair(
        JwtAlgorithm.RS256, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


def ec_pair() -> KeyPair:
    return _pem_pair(JwtAlgorithm.ES256, ec.generate_private_key(ec.SECP256R1()))


def ed25519_pair() -> KeyPair:
    return _pem_pair(JwtAlgorithm.EDDSA, ed25519.Ed25519PrivateKey.generate())


def hs256_secret() -> KeyPair:
    secret = secrets.token_urlsafe(48)
    return KeyPair(JwtAlgorithm.HS256, secret, secret)


def auth_settings(pair: KeyPair, **changes: Any) -> AuthSettings:
    """Auth on, verifying with the pair's key, issuer and audience checked."""
    values: dict[str, Any] = {
        "enabled": True,
        "algorithms": [pair.algorithm],
        "key": pair.verification_key,
        "issuer": ISSUER,
        "audience": AUDIENCE,
    }
    return AuthSettings(**(values | changes))


@dataclass(frozen=True)
class Issuer:
    """Mints tokens as the configured issuer would, claims overridable one by one."""

    pair: KeyPair

    def token(
        self,
        subject: object,
        scopes: Iterable[str] = (),
        *,
        lifetime_s: float = 300,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": subject,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + lifetime_s,
        }
        payload = token_claims.with_claims(payload, scopes, claims)
        return jwt.encode(
            payload, self._signing_key, algorithm=str(self.pair.algorithm), headers=headers
        )

    def signed(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        """Signs whatever JSON it is given: no header or claim checks, NaN and Infinity
        allowed (Python's JSON reader accepts them)."""
        alg = {"alg": str(self.pair.algorithm)}
        signing_input = f"{json_segment(header | alg)}.{json_segment(payload)}"
        signature = self._algorithm.sign(signing_input.encode(), self._signing_key)
        return f"{signing_input}.{segment(signature)}"

    @cached_property
    def _algorithm(self) -> Algorithm:
        return jwt.get_algorithm_by_name(str(self.pair.algorithm))

    @cached_property
    def _signing_key(self) -> Any:
        # Parsed once: loading an RSA private key checks it, which takes milliseconds.
        return self._algorithm.prepare_key(self.pair.signing_key)

    def headers(self, subject: object, scopes: Iterable[str] = (), **claims: Any) -> dict[str, str]:
        return bearer(self.token(subject, scopes, **claims))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_segment(value: Any) -> str:
    return segment(json.dumps(value).encode())


def hand_signed_hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    """What PyJWT refuses to make: an HS256 token keyed with whatever bytes are given
    (for example a public key, as in the algorithm-confusion attack)."""
    signing_input = f"{json_segment(header)}.{json_segment(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{segment(signature)}"
