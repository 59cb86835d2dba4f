"""POST/GET /users and deactivation through the real app: responses, errors, outbox rows."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import aiomysql
import httpx

from shared.events import UserDeactivatedV1, UserRegisteredV1
from tests.support.outbox import outbox_envelopes

SOURCE = "urn:eda:user-service"


async def register(client: httpx.AsyncClient, email: str = "ada@example.com") -> dict[str, object]:
    response = await client.post("/users", json={"email": email, "name": "Ada Lovelace"})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def fields_of(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


async def test_registering_returns_the_user_and_writes_user_registered(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    response = await client.post("/users", json={"email": " Ada@Example.COM ", "name": " Ada "})
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {
        "id",
        "email",
        "name",
        "status",
        "orders_count",
        "total_spent",
        "created_at",
    }
    assert (user["email"], user["name"], user["status"]) == ("ada@example.com", "Ada", "active")
    assert (user["orders_count"], user["total_spent"]) == (0, {})
    created_at = datetime.fromisoformat(user["created_at"])
    assert created_at.utcoffset() is not None

    [envelope] = await outbox_envelopes(pool)
    assert (envelope.type, envelope.subject, envelope.source) == (
        "user.registered",
        user["id"],
        SOURCE,
    )
    assert envelope.event() == UserRegisteredV1(
        user_id=UUID(user["id"]), email="ada@example.com", name="Ada", registered_at=created_at
    )


async def test_the_same_email_twice_is_a_conflict_and_writes_nothing(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    await register(client, "ada@example.com")
    response = await client.post("/users", json={"email": "ADA@example.com ", "name": "Other"})
    assert response.status_code == 409
    assert "already registered" in response.json()["detail"]
    assert len(await outbox_envelopes(pool)) == 1


async def test_invalid_registrations_name_each_bad_field(client: httpx.AsyncClient) -> None:
    cases = [
        ({}, {"email", "name"}),
        ({"email": "not-an-email", "name": "Ada"}, {"email"}),
        ({"email": "ada@example.com", "name": "   "}, {"name"}),
        ({"email": "a" * 400 + "@example.com", "name": "x" * 301}, {"email", "name"}),
        ({"email": 42, "name": ["Ada"]}, {"email", "name"}),
    ]
    for body, fields in cases:
        response = await client.post("/users", json=body)
        assert response.status_code == 422, body
        assert fields_of(response) == fields, body
        assert all(error["message"] for error in response.json()["errors"])


async def test_a_body_that_is_not_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_a_body_over_the_size_limit_is_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/users", json={"email": "a@b.c", "name": "x" * 70_000})
    assert response.status_code == 413


async def test_a_user_is_found_by_id(client: httpx.AsyncClient) -> None:
    user = await register(client)
    response = await client.get(f"/users/{user['id']}")
    assert response.status_code == 200
    assert response.json() == user


async def test_an_unknown_user_is_404_and_a_malformed_id_is_422(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get(f"/users/{uuid4()}")
    assert unknown.status_code == 404
    assert "not found" in unknown.json()["detail"]
    malformed = await client.get("/users/not-a-uuid")
    assert malformed.status_code == 422
    assert fields_of(malformed) == {"path.user_id"}


async def test_deactivating_returns_the_user_and_writes_user_deactivated(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    user = await register(client)
    response = await client.post(f"/users/{user['id']}/deactivate")
    assert response.status_code == 200
    assert response.json() == {**user, "status": "deactivated"}
    assert (await client.get(f"/users/{user['id']}")).json()["status"] == "deactivated"

    registered, deactivated = await outbox_envelopes(pool)
    assert registered.type == "user.registered"
    assert (deactivated.type, deactivated.subject, deactivated.source) == (
        "user.deactivated",
        user["id"],
        SOURCE,
    )
    event = deactivated.event()
    assert isinstance(event, UserDeactivatedV1)
    assert event.user_id == UUID(str(user["id"]))


async def test_deactivating_twice_is_a_conflict_and_writes_nothing_more(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    user = await register(client)
    await client.post(f"/users/{user['id']}/deactivate")
    again = await client.post(f"/users/{user['id']}/deactivate")
    assert again.status_code == 409
    assert "already deactivated" in again.json()["detail"]
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == [
        "user.registered",
        "user.deactivated",
    ]


async def test_deactivating_an_unknown_or_malformed_id(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"/users/{uuid4()}/deactivate")).status_code == 404
    malformed = await client.post("/users/42/deactivate")
    assert malformed.status_code == 422
    assert fields_of(malformed) == {"path.user_id"}


async def test_health_and_readiness_without_a_running_relay(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "outbox_relay": False}


async def test_openapi_describes_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "user-service"
    assert {
        "/users",
        "/users/{user_id}",
        "/users/{user_id}/deactivate",
        "/users/{user_id}/notifications",
        "/healthz",
        "/readyz",
    } <= set(spec["paths"])
    assert (await client.get("/docs")).status_code == 200
