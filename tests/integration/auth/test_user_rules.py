"""Who may do what on the user-service (decision 30): a user belongs to the identity that
registered them, the token's (issuer, subject); `users:write` registers and deactivates,
`users:read` reads a user and their notifications; the admin scope does it all, and
lists users."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from tests.integration.auth.checks import forbidden
from tests.support.jwt_keys import Issuer

# The user-service's app on a throwaway database.
pytestmark = [pytest.mark.mysql]

ADMIN = ["eda:admin"]
WRITE = ["users:write"]
READ = ["users:read"]
OWN = ["users:read", "users:write"]
OWN_ONLY = "only the user's own identity (the token's issuer and subject) or the admin scope may"


async def register(
    users: httpx.AsyncClient, issuer: Issuer, subject: str, email: str | None = None
) -> str:
    """A user registered by ``subject`` with its own token."""
    body = {"email": email or f"{uuid4().hex}@example.com", "name": "Someone"}
    response = await users.post("/users", json=body, headers=issuer.headers(subject, WRITE))
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def status_of(users: httpx.AsyncClient, issuer: Issuer, user_id: str) -> str:
    response = await users.get(f"/users/{user_id}", headers=issuer.headers("console", ADMIN))
    assert response.status_code == 200
    status: str = response.json()["status"]
    return status


async def test_registration_needs_the_users_write_scope_or_admin(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    body = {"email": "ada@example.com", "name": "Ada"}
    response = await users.post("/users", json=body, headers=issuer.headers("auth0|ada", READ))
    assert forbidden(response) == (
        "registering a user needs the scope 'users:write' (or the admin scope)"
    )
    assert response.headers["www-authenticate"].endswith(', scope="users:write"')

    granted = await users.post("/users", json=body, headers=issuer.headers("auth0|ada", WRITE))
    assert granted.status_code == 201
    by_admin = await users.post(
        "/users",
        json={"email": "bob@example.com", "name": "Bob"},
        headers=issuer.headers("console", ADMIN),
    )
    assert by_admin.status_code == 201


async def test_scopes_may_come_as_an_scp_list(users: httpx.AsyncClient, issuer: Issuer) -> None:
    response = await users.post(
        "/users",
        json={"email": "ada@example.com", "name": "Ada"},
        headers=issuer.headers("auth0|ada", scp=["profile", "users:write"]),
    )
    assert response.status_code == 201


async def test_an_identity_registers_one_user_only(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    await register(users, issuer, "auth0|ada", "ada@example.com")
    again = await users.post(
        "/users",
        json={"email": "ada.other@example.com", "name": "Ada"},
        headers=issuer.headers("auth0|ada", WRITE),
    )
    assert again.status_code == 409
    assert again.json() == {
        "detail": "a user is already registered for this identity (the token's issuer and subject)"
    }
    # The 409 names neither the identity nor the user it has.
    assert "auth0|ada" not in again.text


async def test_a_user_is_read_by_the_identity_that_registered_them_with_the_scope(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "auth0|ada")
    await register(users, issuer, "auth0|bob")

    own = await users.get(f"/users/{ada}", headers=issuer.headers("auth0|ada", READ))
    assert (own.status_code, own.json()["id"]) == (200, ada)
    notes = await users.get(
        f"/users/{ada}/notifications", headers=issuer.headers("auth0|ada", READ)
    )
    assert (notes.status_code, notes.json()) == (200, {"items": []})

    by_bob = await users.get(f"/users/{ada}", headers=issuer.headers("auth0|bob", OWN))
    assert forbidden(by_bob) == f"{OWN_ONLY} read this user"
    assert ada not in by_bob.text
    bobs_look = await users.get(
        f"/users/{ada}/notifications", headers=issuer.headers("auth0|bob", READ)
    )
    assert forbidden(bobs_look) == f"{OWN_ONLY} read this user's notifications"

    unscoped = await users.get(f"/users/{ada}", headers=issuer.headers("auth0|ada", WRITE))
    assert forbidden(unscoped) == "reading a user needs the scope 'users:read' (or the admin scope)"
    assert unscoped.headers["www-authenticate"].endswith(', scope="users:read"')
    unscoped_notes = await users.get(
        f"/users/{ada}/notifications", headers=issuer.headers("auth0|ada")
    )
    assert forbidden(unscoped_notes).startswith("reading a user's notifications needs the scope")

    for path in (f"/users/{ada}", f"/users/{ada}/notifications"):
        assert (await users.get(path, headers=issuer.headers("console", ADMIN))).status_code == 200


async def test_the_token_subject_being_the_user_id_is_not_enough(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    """The rule decision 30 replaced: a token whose sub was the user's UUID acted as them."""
    ada = await register(users, issuer, "auth0|ada")
    response = await users.get(f"/users/{ada}", headers=issuer.headers(ada, OWN))
    assert forbidden(response) == f"{OWN_ONLY} read this user"


async def test_the_same_subject_from_another_issuer_is_someone_else(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "auth0|ada")
    other = issuer.headers("auth0|ada", OWN, iss="https://other-tenant.example.test/")
    # Refused by the verifier (an untrusted issuer) or by the rule: never let through.
    assert (await users.get(f"/users/{ada}", headers=other)).status_code in {401, 403}


async def test_only_the_users_own_identity_with_users_write_deactivates_them(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "auth0|ada")
    bob = await register(users, issuer, "auth0|bob")
    carol = await register(users, issuer, "auth0|carol")

    refused = await users.post(f"/users/{bob}/deactivate", headers=issuer.headers("auth0|ada", OWN))
    assert forbidden(refused) == f"{OWN_ONLY} deactivate this user"
    assert await status_of(users, issuer, bob) == "active"

    unscoped = await users.post(
        f"/users/{ada}/deactivate", headers=issuer.headers("auth0|ada", READ)
    )
    assert forbidden(unscoped).startswith("deactivating a user needs the scope 'users:write'")
    assert await status_of(users, issuer, ada) == "active"

    own = await users.post(f"/users/{ada}/deactivate", headers=issuer.headers("auth0|ada", WRITE))
    assert (own.status_code, own.json()["status"]) == (200, "deactivated")
    by_admin = await users.post(f"/users/{carol}/deactivate", headers=issuer.headers("x", ADMIN))
    assert (by_admin.status_code, by_admin.json()["status"]) == (200, "deactivated")


async def test_an_admins_registration_binds_no_identity_unless_the_body_names_one(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    as_admin = issuer.headers("console", ADMIN)
    nobodys = await users.post(
        "/users", json={"email": "ops@example.com", "name": "Ops"}, headers=as_admin
    )
    assert nobodys.status_code == 201
    # Not the admin's own: the console's subject without the admin scope gets nothing.
    refused = await users.get(
        f"/users/{nobodys.json()['id']}", headers=issuer.headers("console", OWN)
    )
    assert forbidden(refused) == f"{OWN_ONLY} read this user"
    # And the admin can still register another such user (no identity, no 409).
    second = await users.post(
        "/users", json={"email": "ops2@example.com", "name": "Ops"}, headers=as_admin
    )
    assert second.status_code == 201

    named = {"issuer": "https://login.example.test/", "subject": "auth0|dora"}
    for_dora = await users.post(
        "/users",
        json={"email": "dora@example.com", "name": "Dora", "identity": named},
        headers=as_admin,
    )
    assert for_dora.status_code == 201
    dora = for_dora.json()["id"]
    assert (
        await users.get(f"/users/{dora}", headers=issuer.headers("auth0|dora", READ))
    ).status_code == 200
    # Dora then cannot register a second user for herself.
    again = await users.post(
        "/users",
        json={"email": "dora2@example.com", "name": "Dora"},
        headers=issuer.headers("auth0|dora", WRITE),
    )
    assert again.status_code == 409


async def test_naming_an_identity_needs_the_admin_scope(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    named = {"issuer": "https://login.example.test/", "subject": "auth0|victim"}
    response = await users.post(
        "/users",
        json={"email": "eve@example.com", "name": "Eve", "identity": named},
        headers=issuer.headers("auth0|eve", WRITE),
    )
    assert forbidden(response) == "registering a user for a named identity needs the admin scope"


async def test_listing_users_is_for_admins(users: httpx.AsyncClient, issuer: Issuer) -> None:
    ada = await register(users, issuer, "auth0|ada")
    for scopes in ([], WRITE, [*OWN, "admins"]):
        response = await users.get("/users", headers=issuer.headers("auth0|ada", scopes))
        assert forbidden(response) == "listing users needs the admin scope"
    listed = await users.get("/users", headers=issuer.headers("console", ["profile", *ADMIN]))
    assert [user["id"] for user in listed.json()["items"]] == [ada]


async def test_an_unknown_user_is_404_before_any_ownership_check(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    unknown = str(uuid4())
    response = await users.get(f"/users/{unknown}", headers=issuer.headers("auth0|ada", READ))
    assert response.status_code == 404
    deactivate = await users.post(
        f"/users/{unknown}/deactivate", headers=issuer.headers("auth0|ada", WRITE)
    )
    assert deactivate.status_code == 404
