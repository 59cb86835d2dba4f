"""The claim rules a token must pass, on the verifier alone (static RSA key): issuer and
audience always checked, an access token rather than an ID token, iat and exp present
and a lifetime within the maximum, the subject from the configured claim."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shared.auth_settings import AuthSettings
from shared.http.tokens import Principal, TokenRejectedError, TokenVerifier
from tests.support.jwt_keys import (
    AUDIENCE,
    ISSUER,
    OMIT,
    Issuer,
    KeyPair,
    auth_settings,
)

USER = "9a4f7c1e-3b7d-4d3e-9a51-2f3a1c0d9e77"


def verifier(keys: KeyPair, **changes: Any) -> TokenVerifier:
    return TokenVerifier(auth_settings(keys, **changes))


async def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenRejectedError) as raised:
        await verifier.verify(token)
    return raised.value.description


async def test_a_valid_token_names_its_issuer_subject_and_scopes(
    rsa_keys: KeyPair, issuer: Issuer
) -> None:
    principal = await verifier(rsa_keys).verify(issuer.token(USER, ["orders:read", "eda:admin"]))
    assert principal == Principal(
        subject=USER, scopes=frozenset({"orders:read", "eda:admin"}), is_admin=True, issuer=ISSUER
    )


async def test_the_admin_scope_is_namespaced_by_default(rsa_keys: KeyPair, issuer: Issuer) -> None:
    assert AuthSettings().admin_scope == "eda:admin"
    generic = await verifier(rsa_keys).verify(issuer.token(USER, ["admin"]))
    assert not generic.is_admin


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "payments-api"}, "the token is not meant for this service (aud)"),
        ({"aud": ["payments-api", "billing"]}, "the token is not meant for this service (aud)"),
        ({"aud": OMIT}, "the token has no 'aud' claim"),
        ({"iss": "https://elsewhere.example.test/"}, "the token's issuer is not trusted (iss)"),
        ({"iss": OMIT}, "the token has no 'iss' claim"),
        ({"iat": OMIT}, "the token has no 'iat' claim"),
        ({"iat": "yesterday"}, "the token's 'iat' claim is not a time"),
        ({"exp": OMIT}, "the token has no 'exp' claim"),
    ],
)
async def test_issuer_audience_iat_and_exp_are_always_checked(
    rsa_keys: KeyPair, issuer: Issuer, claims: dict[str, Any], reason: str
) -> None:
    token = issuer.token(USER, ["eda:admin"], **claims)
    assert await refusal(verifier(rsa_keys), token) == reason


async def test_a_foreign_admin_token_is_no_admin_here(rsa_keys: KeyPair, issuer: Issuer) -> None:
    """The finding: a token for another API with the generic admin scope."""
    token = issuer.token(USER, ["admin"], aud="payments-api", iss="https://any.example.test/")
    assert await refusal(verifier(rsa_keys), token) == "the token's issuer is not trusted (iss)"
    ours = issuer.token(USER, ["eda:admin"], aud="payments-api")
    assert (
        await refusal(verifier(rsa_keys), ours) == "the token is not meant for this service (aud)"
    )


async def test_a_token_living_longer_than_the_maximum_is_refused(
    rsa_keys: KeyPair, issuer: Issuer
) -> None:
    ten_years = issuer.token(USER, lifetime_s=10 * 365 * 86400)
    reason = await refusal(verifier(rsa_keys), ten_years)
    assert reason == "the token lives longer (exp - iat) than this service accepts"
    assert (await refusal(verifier(rsa_keys), issuer.token(USER, lifetime_s=5401))) == reason
    await verifier(rsa_keys).verify(issuer.token(USER, lifetime_s=5400))  # the default maximum
    short = verifier(rsa_keys, max_token_lifetime_s=600)
    assert await refusal(short, issuer.token(USER, lifetime_s=601)) == reason
    # iat far in the past does not stretch the lifetime: exp - iat is what counts.
    now = int(time.time())
    backdated = issuer.token(USER, iat=now - 86400, exp=now + 60)
    assert await refusal(verifier(rsa_keys), backdated) == reason


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "n-0S6_WzA2Mj"},
        {"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"},
        {"c_hash": "LDktKdoQak3Pk0cnXxCltA"},
        {"azp": AUDIENCE},  # an ID token for the client whose id is our audience
        {"azp": AUDIENCE, "aud": [AUDIENCE]},
    ],
    ids=["nonce", "at_hash", "c_hash", "aud is azp, no scope", "aud list is azp, no scope"],
)
async def test_an_untyped_id_token_is_refused(
    rsa_keys: KeyPair, issuer: Issuer, claims: dict[str, Any]
) -> None:
    for typ in (None, "JWT", "jwt"):
        if typ is None:
            token = _without_typ(issuer, claims)
        else:
            token = issuer.token(USER, headers={"typ": typ}, **claims)
        assert await refusal(verifier(rsa_keys), token) == "an ID token is not an access token"


def _without_typ(issuer: Issuer, claims: dict[str, Any]) -> str:
    return issuer.signed({}, _claims() | claims)  # a header of alg alone


async def test_an_access_token_with_azp_and_a_scope_is_not_taken_for_an_id_token(
    rsa_keys: KeyPair, issuer: Issuer
) -> None:
    token = issuer.token(USER, ["orders:read"], azp=AUDIENCE)
    assert (await verifier(rsa_keys).verify(token)).scopes == {"orders:read"}
    other_client = issuer.token(USER, azp="eda-console")
    await verifier(rsa_keys).verify(other_client)


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT"])
async def test_a_typed_access_token_is_accepted_even_with_id_token_claims(
    rsa_keys: KeyPair, issuer: Issuer, typ: str
) -> None:
    token = issuer.token(USER, headers={"typ": typ}, nonce="kept-by-some-providers")
    assert (await verifier(rsa_keys).verify(token)).subject == USER
    strict = verifier(rsa_keys, require_at_jwt=True)
    assert (await strict.verify(token)).subject == USER


@pytest.mark.parametrize("typ", ["id_token+jwt", "logout+jwt", "dpop+jwt", "secevent+jwt"])
async def test_another_explicit_type_is_refused(
    rsa_keys: KeyPair, issuer: Issuer, typ: str
) -> None:
    token = issuer.token(USER, headers={"typ": typ})
    assert await refusal(verifier(rsa_keys), token) == "the token is not an access token (typ)"


async def test_require_at_jwt_refuses_untyped_tokens(rsa_keys: KeyPair, issuer: Issuer) -> None:
    strict = verifier(rsa_keys, require_at_jwt=True)
    for token in (issuer.token(USER), issuer.signed({}, _claims())):
        reason = await refusal(strict, token)
        assert reason == "the token is not typed as an access token (typ at+jwt)"


async def test_the_subject_can_come_from_oid(rsa_keys: KeyPair, issuer: Issuer) -> None:
    entra = verifier(rsa_keys, subject_claim="oid")
    oid = "00000000-0000-0000-0000-00000000000b"
    principal = await entra.verify(issuer.token("pairwise-per-client", oid=oid))
    assert (principal.subject, principal.issuer) == (oid, ISSUER)
    assert await refusal(entra, issuer.token(USER)) == "the token has no 'oid' claim"
    assert await refusal(entra, issuer.token(USER, oid=" ")) == "the token's 'oid' claim is empty"
    assert await refusal(entra, issuer.token(USER, oid=7)) == "the token's 'oid' claim is not text"


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {"sub": USER, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
