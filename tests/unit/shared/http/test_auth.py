"""The checks routes make (decision 30): a scope per route, the user's own identity,
(issuer, subject), for their resources, the admin scope for everything."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from shared.http.auth import require_identity, require_scope
from shared.http.tokens import Principal
from shared.identity import identity_key

ISSUER = "https://login.example.test/"
ADA = identity_key(ISSUER, "auth0|ada")


def caller(subject: str, *scopes: str, issuer: str = ISSUER, admin: bool = False) -> Principal:
    return Principal(subject=subject, scopes=frozenset(scopes), is_admin=admin, issuer=issuer)


def refusal(check: object) -> HTTPException:
    assert callable(check)
    with pytest.raises(HTTPException) as refused:
        check()
    assert refused.value.status_code == 403
    return refused.value


def test_the_registering_identity_acts_on_its_user() -> None:
    require_identity(caller("auth0|ada"), ADA, "read this user")


def test_another_subject_is_refused_without_naming_anyone() -> None:
    refused = refusal(lambda: require_identity(caller("auth0|bob"), ADA, "read this user"))
    assert refused.detail == (
        "only the user's own identity (the token's issuer and subject)"
        " or the admin scope may read this user"
    )
    assert "ada" not in str(refused.headers)


def test_the_same_subject_from_another_issuer_is_another_caller() -> None:
    stranger = caller("auth0|ada", issuer="https://elsewhere.example.test/")
    refusal(lambda: require_identity(stranger, ADA, "read this user"))


def test_a_subject_equal_to_the_user_id_no_longer_grants_anything() -> None:
    # The rule decision 30 replaced: the token's sub had to be the user-service's UUID.
    user_id = "0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11"
    refusal(lambda: require_identity(caller(user_id), ADA, "read this user"))


def test_a_user_without_an_identity_is_for_admins_only() -> None:
    refusal(lambda: require_identity(caller("auth0|ada"), None, "read this user"))
    require_identity(caller("console", "eda:admin", admin=True), None, "read this user")


def test_the_admin_scope_passes_every_check() -> None:
    admin = caller("console", "eda:admin", admin=True)
    require_identity(admin, ADA, "read this user")
    require_scope(admin, "orders:write", "placing an order")


def test_a_missing_scope_is_named_in_the_challenge() -> None:
    refused = refusal(lambda: require_scope(caller("auth0|ada"), "users:read", "reading a user"))
    assert refused.detail == "reading a user needs the scope 'users:read' (or the admin scope)"
    assert refused.headers is not None
    assert refused.headers["WWW-Authenticate"].endswith(', scope="users:read"')
    require_scope(caller("auth0|ada", "users:read"), "users:read", "reading a user")
