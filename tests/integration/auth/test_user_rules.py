"""Who may do what on the user-service: registration with ``users:write``, a user's own
record, notifications and deactivation for that user, the list for admins."""

from __future__ import annotations

from uuid import UUID, uuid4

import httpx

from tests.integration.auth.checks import forbidden
from tests.integration.auth.keys import Issuer

ADMIN = ["admin"]
SIGN_UP = ["users:write"]


async def register(users: httpx.AsyncClient, issuer: Issuer, email: str) -> str:
    response = await users.post(
        "/users",
        json={"email": email, "name": "Someone"},
        headers=issuer.headers("sign-up-front-end", SIGN_UP),
    )
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
    response = await users.post("/users", json=body, headers=issuer.headers(str(uuid4())))
    assert forbidden(response) == (
        "registering a user needs the scope 'users:write' (or the admin scope)"
    )
    assert response.headers["www-authenticate"].endswith(', scope="users:write"')

    granted = await users.post("/users", json=body, headers=issuer.headers("front", SIGN_UP))
    assert granted.status_code == 201
    by_admin = await users.post(
        "/users",
        json={"email": "bob@example.com", "name": "Bob"},
        headers=issuer.headers("x", ADMIN),
    )
    assert by_admin.status_code == 201


async def test_scopes_may_come_as_an_scp_list(users: httpx.AsyncClient, issuer: Issuer) -> None:
    response = await users.post(
        "/users",
        json={"email": "ada@example.com", "name": "Ada"},
        headers=issuer.headers("front", scp=["profile", "users:write"]),
    )
    assert response.status_code == 201


async def test_a_user_reads_their_own_record_and_notifications_only(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "ada@example.com")
    bob = await register(users, issuer, "bob@example.com")
    as_ada = issuer.headers(ada)

    own = await users.get(f"/users/{ada}", headers=as_ada)
    assert (own.status_code, own.json()["id"]) == (200, ada)
    notes = await users.get(f"/users/{ada}/notifications", headers=as_ada)
    assert notes.json() == {"items": []}

    other = await users.get(f"/users/{bob}", headers=as_ada)
    assert forbidden(other) == (
        "only the user concerned, as the token's subject, or the admin scope may read this user"
    )
    assert bob not in other.text
    other_notes = await users.get(f"/users/{bob}/notifications", headers=as_ada)
    assert forbidden(other_notes).endswith("may read this user's notifications")

    for path in (f"/users/{bob}", f"/users/{bob}/notifications"):
        assert (await users.get(path, headers=issuer.headers("console", ADMIN))).status_code == 200


async def test_the_subject_matches_the_user_id_in_any_uuid_spelling(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "ada@example.com")
    for spelling in (ada.upper(), f"urn:uuid:{ada}", UUID(ada).hex):
        response = await users.get(f"/users/{ada}", headers=issuer.headers(spelling))
        assert response.status_code == 200, spelling


async def test_only_the_user_or_an_admin_deactivates_them(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    ada = await register(users, issuer, "ada@example.com")
    bob = await register(users, issuer, "bob@example.com")
    carol = await register(users, issuer, "carol@example.com")

    refused = await users.post(f"/users/{bob}/deactivate", headers=issuer.headers(ada))
    assert forbidden(refused).endswith("may deactivate this user")
    assert await status_of(users, issuer, bob) == "active"

    # users:write registers; it does not manage other users.
    refused = await users.post(f"/users/{bob}/deactivate", headers=issuer.headers(ada, SIGN_UP))
    assert refused.status_code == 403

    own = await users.post(f"/users/{ada}/deactivate", headers=issuer.headers(ada))
    assert (own.status_code, own.json()["status"]) == (200, "deactivated")
    by_admin = await users.post(f"/users/{carol}/deactivate", headers=issuer.headers("x", ADMIN))
    assert (by_admin.status_code, by_admin.json()["status"]) == (200, "deactivated")


async def test_listing_users_is_for_admins(users: httpx.AsyncClient, issuer: Issuer) -> None:
    ada = await register(users, issuer, "ada@example.com")
    for scopes in ([], SIGN_UP, ["users:read", "admins"]):
        response = await users.get("/users", headers=issuer.headers(ada, scopes))
        assert forbidden(response) == "listing users needs the admin scope"
    listed = await users.get("/users", headers=issuer.headers("console", ["profile", "admin"]))
    assert [user["id"] for user in listed.json()["items"]] == [ada]


async def test_a_404_is_still_a_404_for_the_user_it_would_be(
    users: httpx.AsyncClient, issuer: Issuer
) -> None:
    unknown = str(uuid4())
    response = await users.get(f"/users/{unknown}", headers=issuer.headers(unknown))
    assert response.status_code == 404
    deactivate = await users.post(f"/users/{unknown}/deactivate", headers=issuer.headers(unknown))
    assert deactivate.status_code == 404
