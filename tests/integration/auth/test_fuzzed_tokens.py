"""Whatever arrives in the Authorization header, the answer is a 401 with a well-formed
challenge, or (for a valid token) the route's own 403 or 404: never a 500.

Signed tokens with random claims reach the claim checks behind the signature."""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.jwt_keys import AUDIENCE, ISSUER, OMIT, Issuer, json_segment, segment

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

USER = str(uuid4())
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_CHALLENGE = re.compile(
    r'Bearer( error="[a-z_]+", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*")?'
)

# Anything a header can carry: Latin-1 without the line breaks and NUL HTTP forbids.
header_text = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=300)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
claim_names = st.sampled_from(
    ["sub", "exp", "iat", "nbf", "aud", "iss", "scope", "scp", "jti"]
) | st.text(max_size=6)
header_names = st.sampled_from(["alg", "typ", "kid", "crit", "b64", "cty", "jku", "zip"])
token_segment = st.one_of(
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!", max_size=60),
    st.binary(max_size=80).map(segment),
    st.dictionaries(header_names | claim_names, json_values, max_size=6).map(json_segment),
    json_values.map(json_segment),
)
token_shaped = st.lists(token_segment, min_size=1, max_size=5).map(".".join)


async def answer(users: httpx.AsyncClient, authorization: str) -> None:
    response = await users.get(
        f"/users/{USER}", headers={b"Authorization": authorization.encode("latin-1")}
    )
    assert response.status_code in {401, 403, 404}, (response.status_code, response.text)
    assert set(response.json()) == {"detail"}
    if response.status_code == 401:
        assert _CHALLENGE.fullmatch(response.headers["www-authenticate"])


@FUZZ
@given(authorization=header_text | header_text.map("Bearer {}".format))
async def test_arbitrary_authorization_headers(
    users: httpx.AsyncClient, authorization: str
) -> None:
    await answer(users, authorization)


@FUZZ
@given(token=token_shaped)
async def test_token_shaped_junk(users: httpx.AsyncClient, token: str) -> None:
    await answer(users, f"Bearer {token}")


def valid_claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": USER,
        "exp": now + 3600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "scope": "eda:admin",
        "iat": now,
        "nbf": now - 60,
    }


@FUZZ
@given(
    changes=st.dictionaries(claim_names, json_values | st.just(OMIT), max_size=3),
    headers=st.one_of(
        st.sampled_from([{}, {"typ": "JWT"}, {"kid": "2026-11"}]),
        st.dictionaries(st.sampled_from(["typ", "kid", "cty", "jku", "x5u"]), json_values),
    ),
)
async def test_signed_tokens_with_claims_changed_or_dropped(
    users: httpx.AsyncClient, issuer: Issuer, changes: dict[str, Any], headers: dict[str, Any]
) -> None:
    claims = {
        name: value for name, value in (valid_claims() | changes).items() if value is not OMIT
    }
    await answer(users, f"Bearer {issuer.signed(headers, claims)}")


@FUZZ
@given(data=st.data())
async def test_valid_tokens_with_one_change(
    users: httpx.AsyncClient, issuer: Issuer, data: st.DataObject
) -> None:
    token = issuer.token(USER, ["eda:admin"])
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    cut = data.draw(st.booleans())
    changed = token[:at] if cut else token[:at] + data.draw(header_text) + token[at + 1 :]
    await answer(users, f"Bearer {changed}")
