"""Without a valid token a protected route answers 401 and does nothing: no token, a
malformed, expired, foreign or tampered one, the wrong audience or issuer, no ``iat`` or
a lifetime over the maximum, an ID token, ``alg: none`` and the HS256-with-the-public-key
confusion."""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import uuid4

import httpx
import pytest

from tests.integration.auth.checks import unauthorized
from tests.support.jwt_keys import (
    AUDIENCE,
    ISSUER,
    OMIT,
    Issuer,
    KeyPair,
    bearer,
    hand_signed_hs256,
    json_segment,
    rsa_pair,
)

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

USER = str(uuid4())
ADMIN = ["eda:admin"]

TokenMaker = Callable[[Issuer, KeyPair], str]


def _valid_claims() -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": USER,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "scope": "eda:admin",
    }


def _tampered(issuer: Issuer, keys: KeyPair) -> str:
    header, _, signature = issuer.token(USER).split(".")
    return ".".join([header, json_segment(_valid_claims()), signature])


REFUSED: dict[str, tuple[TokenMaker, str]] = {
    "not a JWT": (lambda issuer, keys: "not-a-jwt", "the token is malformed"),
    "two segments": (lambda issuer, keys: "abc.def", "the token is malformed"),
    "expired": (
        lambda issuer, keys: issuer.token(USER, ADMIN, lifetime_s=-3600),
        "the token has expired",
    ),
    "not valid yet": (
        lambda issuer, keys: issuer.token(USER, ADMIN, nbf=int(time.time()) + 3600),
        "the token is not valid yet",
    ),
    "signed with another key": (
        lambda issuer, keys: Issuer(rsa_pair()).token(USER, ADMIN),
        "the token's signature does not verify",
    ),
    "payload swapped under a valid signature": (
        _tampered,
        "the token's signature does not verify",
    ),
    "another audience": (
        lambda issuer, keys: issuer.token(USER, ADMIN, aud="another-api"),
        "the token is not meant for this service (aud)",
    ),
    "no audience": (
        lambda issuer, keys: issuer.token(USER, ADMIN, aud=OMIT),
        "the token has no 'aud' claim",
    ),
    "another issuer": (
        lambda issuer, keys: issuer.token(USER, ADMIN, iss="https://elsewhere.example.test/"),
        "the token's issuer is not trusted (iss)",
    ),
    "no expiry": (
        lambda issuer, keys: issuer.token(USER, ADMIN, exp=OMIT),
        "the token has no 'exp' claim",
    ),
    "no issued-at": (
        lambda issuer, keys: issuer.token(USER, ADMIN, iat=OMIT),
        "the token has no 'iat' claim",
    ),
    "living ten years": (
        lambda issuer, keys: issuer.token(USER, ADMIN, lifetime_s=10 * 365 * 86400),
        "the token lives longer (exp - iat) than this service accepts",
    ),
    "an ID token": (
        lambda issuer, keys: issuer.token(USER, ADMIN, nonce="n-0S6", at_hash="x1"),
        "an ID token is not an access token",
    ),
    "typed as something else": (
        lambda issuer, keys: issuer.token(USER, ADMIN, headers={"typ": "logout+jwt"}),
        "the token is not an access token (typ)",
    ),
    "the generic admin scope of another API": (
        lambda issuer, keys: issuer.token(USER, ["admin"], aud="payments-api"),
        "the token is not meant for this service (aud)",
    ),
    "no subject": (
        lambda issuer, keys: issuer.token(OMIT, ADMIN),
        "the token has no 'sub' claim",
    ),
    "empty subject": (
        lambda issuer, keys: issuer.token(" ", ADMIN),
        "the token's 'sub' claim is empty",
    ),
    "numeric subject": (lambda issuer, keys: issuer.token(42, ADMIN), "the token is malformed"),
    "scope neither text nor list": (
        lambda issuer, keys: issuer.token(USER, scope={"eda:admin": True}),
        "the token's scopes are neither a space-separated string nor a list of strings",
    ),
    "alg none": (
        lambda issuer, keys: (
            f"{json_segment({'alg': 'none', 'typ': 'JWT'})}.{json_segment(_valid_claims())}."
        ),
        "the token's algorithm is not accepted",
    ),
    "HS256 keyed with the service's public key": (
        lambda issuer, keys: hand_signed_hs256(
            {"alg": "HS256", "typ": "JWT"}, _valid_claims(), keys.verification_key.encode()
        ),
        "the token's algorithm is not accepted",
    ),
    "too long": (
        lambda issuer, keys: issuer.token(USER, ADMIN, padding="x" * 9000),
        "the token is too long",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_bad_token_is_401_with_the_reason(
    case: str, users: httpx.AsyncClient, issuer: Issuer, rsa_keys: KeyPair
) -> None:
    make, reason = REFUSED[case]
    response = await users.get(f"/users/{USER}", headers=bearer(make(issuer, rsa_keys)))
    assert unauthorized(response) == reason


async def test_a_refused_write_writes_nothing(users: httpx.AsyncClient, issuer: Issuer) -> None:
    expired = issuer.headers("sign-up", ["users:write"], lifetime_s=-3600)
    response = await users.post(
        "/users", json={"email": "ada@example.com", "name": "Ada"}, headers=expired
    )
    unauthorized(response)
    listed = await users.get("/users", headers=issuer.headers("console", ADMIN))
    assert listed.status_code == 200
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNzd29yZA==", "Token abc.def.ghi"],
)
async def test_no_bearer_token_is_401_with_a_bare_challenge(
    authorization: str | None, users: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for client, path in ((users, f"/users/{USER}"), (orders, f"/orders?user_id={USER}")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401
        # No error code when no credentials came (RFC 6750, section 3.1).
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "detail": "a bearer token is required: Authorization: Bearer <JWT>"
        }


async def test_the_scheme_name_is_case_insensitive(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    token = issuer.token(USER, ADMIN)
    response = await users.get(f"/users/{USER}", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 404  # authenticated; the user does not exist


async def test_a_token_expired_within_the_leeway_is_still_accepted(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    just_expired = issuer.headers(USER, ADMIN, lifetime_s=-10)  # leeway is 30 s
    response = await users.get(f"/users/{USER}", headers=just_expired)
    assert response.status_code == 404
