"""Hostile input against both services' real apps on throwaway databases (relay off).

- A body over ``EDA_MAX_BODY_BYTES`` is a 413 however its size is (mis)announced, and
  the request never takes a database connection; the same body under the limit is served.
- JSON nested 10,000 deep is a 4xx, never a 500, and the process keeps serving.
- Item lists and page sizes above their bounds are a 422.
- SQL-looking, exotic-unicode and NUL-carrying strings in every text field, path and
  query parameter are either refused with a 422 or stored as sent and read back
  identical; the tables are all still there afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from order_service.domain.order import MAX_LINES
from shared.db import UnitOfWork
from shared.envelope import decode
from shared.events import UserRegisteredV1
from tests.support.mysql import count_rows
from tests.support.polling import eventually
from tests.support.service_apps import (
    ORDER_SERVICE,
    SERVICES,
    USER_SERVICE,
    RunningService,
    counting_acquisitions,
    running_service,
    tables,
)

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

JSON = {"content-type": "application/json"}

# Where each service creates something, and the table that shows it was created.
CREATE = {USER_SERVICE: ("/users", "users", 201), ORDER_SERVICE: ("/orders", "orders", 202)}

HOSTILE_TEXT = [
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "Robert'); DROP TABLE orders;--",
    "1; DELETE FROM outbox WHERE 1=1; --",
    "%' UNION SELECT user, password FROM mysql.user --",
    "\\'; TRUNCATE processed_events; -- \\",
    "`users`; SHOW TABLES; #",
    "Zoë Ærøskøbing 李小龍 مرحبا 🦄",
    "nul\x00byte",
    "\x00",
    "zero\u200bwidth\u202eright-to-left",
    "e" + "\u0301" * 40,
    "\ud800 a lone surrogate",
]
# Addresses an email check lets through (no spaces, one @) that still carry SQL.
HOSTILE_EMAILS = [
    "admin'--@example.com",
    "x'or'1'='1'--@example.com",
    "robert');drop/**/table/**/users;--@example.com",
    '"or"1"="1"--@example.com',
    "a\\'b\\@example.com",
    "%27%3b--@example.com",
    "nul\x00'--@example.com",
]


def _body(document: object) -> bytes:
    """JSON as a client sends it; escapes keep a lone surrogate sendable."""
    return json.dumps(document).encode()


def new_user(email: str | None = None, name: str = "Ada Lovelace") -> dict[str, Any]:
    return {"email": email or f"{uuid.uuid4().hex}@example.com", "name": name}


def new_order(sku: str = "BOOK-1", **changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "user_id": str(uuid.uuid4()),
        "currency": "EUR",
        "items": [{"sku": sku, "quantity": 2, "unit_price": "12.50"}],
    }
    return {**order, **changes}


def valid_create_body(service: RunningService) -> bytes:
    return _body(new_user() if service.name == USER_SERVICE else new_order())


@pytest.fixture(params=SERVICES)
async def service(request: pytest.FixtureRequest) -> AsyncIterator[RunningService]:
    async with running_service(request.param) as running:
        before = await tables(running.pool)
        yield running
        assert await tables(running.pool) == before, "a table disappeared or appeared"


@pytest.fixture
async def client(service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    async with service.client() as http:
        yield http


async def assert_still_serving(service: RunningService, client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    path, _, created = CREATE[service.name]
    response = await client.post(path, content=valid_create_body(service), headers=JSON)
    assert response.status_code == created, response.text


def assert_refusal_explains_itself(response: httpx.Response) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"].strip()
    return body


# --- oversized bodies ------------------------------------------------------------------


def _chunks(body: bytes, size: int, pulled: list[int]) -> AsyncIterator[bytes]:
    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), size):
            chunk = body[start : start + size]
            pulled.append(len(chunk))
            yield chunk

    return stream()


@pytest.mark.parametrize("framing", ["content-length", "lying content-length", "chunked"])
async def test_a_body_over_the_limit_is_413_and_never_reaches_the_database(
    service: RunningService, client: httpx.AsyncClient, framing: str
) -> None:
    path, table, _ = CREATE[service.name]
    limit = service.max_body_bytes
    # Valid JSON the service would accept, but for the trailing whitespace making it too big.
    body = valid_create_body(service) + b" " * (limit * 4)
    pulled: list[int] = []
    async with counting_acquisitions(service.pool) as taken:
        if framing == "chunked":
            response = await client.post(path, content=_chunks(body, 4096, pulled), headers=JSON)
        elif framing == "lying content-length":
            headers = {**JSON, "content-length": "100"}
            response = await client.post(path, content=body, headers=headers)
        else:
            response = await client.post(path, content=body, headers=JSON)

    sent_length = response.request.headers.get("content-length")
    assert sent_length == {"content-length": str(len(body)), "lying content-length": "100"}.get(
        framing
    ), sent_length
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": f"request body larger than {limit} bytes"}
    assert taken() == 0, "a rejected request took a database connection"
    assert await count_rows(service.pool, table) == 0
    assert await count_rows(service.pool, "outbox") == 0
    if framing == "chunked":  # reading stopped at the limit, not at the end of the body
        assert sum(pulled) <= limit + 2 * 4096, (sum(pulled), len(body))
    await assert_still_serving(service, client)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_the_same_body_exactly_at_the_limit_is_served(
    service: RunningService, client: httpx.AsyncClient, framing: str
) -> None:
    path, table, created = CREATE[service.name]
    content = valid_create_body(service)
    body = content + b" " * (service.max_body_bytes - len(content))
    pulled: list[int] = []
    sent = _chunks(body, 4096, pulled) if framing == "chunked" else body
    response = await client.post(path, content=sent, headers=JSON)
    assert response.status_code == created, response.text
    assert await count_rows(service.pool, table) == 1


@contextlib.asynccontextmanager
async def served_over_http(service: RunningService) -> AsyncIterator[int]:
    """The running app behind a real uvicorn on a free port (its lifespan already ran)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(service.app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        await eventually(lambda: server.started or task.done(), what="uvicorn started")
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        listener.close()


async def test_a_chunked_body_over_the_limit_is_413_over_a_real_connection(
    service: RunningService,
) -> None:
    path, table, _ = CREATE[service.name]
    limit = service.max_body_bytes
    body = valid_create_body(service) + b" " * (limit + 8192)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {service.name}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    for start in range(0, len(body), 4096):
        chunk = body[start : start + 4096]
        request += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    request += b"0\r\n\r\n"

    async with served_over_http(service) as port, counting_acquisitions(service.pool) as taken:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request)
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        finally:
            writer.close()

    assert status_line.startswith(b"HTTP/1.1 413 "), status_line
    assert taken() == 0
    assert await count_rows(service.pool, table) == 0


# --- deeply nested JSON ----------------------------------------------------------------

DEPTH = 10_000
NESTED = {
    "arrays": b"[" * DEPTH + b"]" * DEPTH,
    "objects": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    "arrays in a field": b'{"email": ' + b"[" * DEPTH + b"]" * DEPTH + b', "name": "x"}',
    "objects in a field": b'{"user_id": ' + b'{"a":' * DEPTH + b"1" + b"}" * DEPTH + b"}",
}


@pytest.mark.parametrize("shape", sorted(NESTED))
async def test_json_nested_10000_deep_is_refused_and_the_process_stays_healthy(
    service: RunningService, client: httpx.AsyncClient, shape: str
) -> None:
    path, table, _ = CREATE[service.name]
    assert len(NESTED[shape]) <= service.max_body_bytes  # the depth, not the size, is tested
    async with counting_acquisitions(service.pool) as taken:
        response = await client.post(path, content=NESTED[shape], headers=JSON)
    assert_refusal_explains_itself(response)
    assert taken() == 0
    assert await count_rows(service.pool, table) == 0
    await assert_still_serving(service, client)


# --- lists and pages above their bounds ------------------------------------------------


@pytest.fixture
async def orders() -> AsyncIterator[RunningService]:
    async with running_service(ORDER_SERVICE) as running:
        yield running


@pytest.mark.parametrize("lines", [MAX_LINES + 1, 1_000])
async def test_an_order_with_more_lines_than_allowed_is_422(
    orders: RunningService, lines: int
) -> None:
    items = [{"sku": f"SKU-{n}", "quantity": 1, "unit_price": "1.00"} for n in range(lines)]
    body = _body(new_order(items=items))
    assert len(body) <= orders.max_body_bytes
    async with orders.client() as client, counting_acquisitions(orders.pool) as taken:
        response = await client.post("/orders", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    errors = assert_refusal_explains_itself(response)["errors"]
    assert [error["field"] for error in errors] == ["items"], errors
    assert str(MAX_LINES) in errors[0]["message"]
    assert taken() == 0
    assert await count_rows(orders.pool, "orders") == 0


async def test_an_order_list_too_big_to_read_is_413(orders: RunningService) -> None:
    items = [{"sku": f"SKU-{n}", "quantity": 1, "unit_price": "1.00"} for n in range(10_000)]
    async with orders.client() as client, counting_acquisitions(orders.pool) as taken:
        response = await client.post("/orders", content=_body(new_order(items=items)), headers=JSON)
    assert response.status_code == 413
    assert taken() == 0


@pytest.mark.parametrize("limit", ["101", "0", "-1", str(10**30), "1e3", "NaN"])
async def test_a_page_size_out_of_bounds_is_422(
    service: RunningService, client: httpx.AsyncClient, limit: str
) -> None:
    path = CREATE[service.name][0]
    response = await client.get(path, params={"limit": limit})
    assert response.status_code == 422, response.text
    errors = assert_refusal_explains_itself(response)["errors"]
    assert [error["field"] for error in errors] == ["query.limit"], errors


# --- SQL-looking, unicode and NUL strings ----------------------------------------------


async def _read_back_user(client: httpx.AsyncClient, user_id: str) -> dict[str, Any]:
    response = await client.get(f"/users/{user_id}")
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


async def test_hostile_user_names_and_emails_are_refused_or_stored_verbatim() -> None:
    async with running_service(USER_SERVICE) as users, users.client() as client:
        attempts = [("name", new_user(name=text), text) for text in HOSTILE_TEXT]
        attempts += [("email", new_user(email), email) for email in HOSTILE_EMAILS]
        attempts += [
            ("email", new_user(email), email)
            for email in (f"u{n}.{text}@example.com" for n, text in enumerate(HOSTILE_TEXT))
        ]
        stored = {"name": 0, "email": 0}
        registered: dict[str, dict[str, str]] = {}
        for field, body, sent in attempts:
            assert sent == sent.strip()  # names and emails are trimmed, by design
            response = await client.post("/users", content=_body(body), headers=JSON)
            if response.status_code == 422:
                errors = assert_refusal_explains_itself(response)["errors"]
                assert [error["field"] for error in errors] == [field], (sent, errors)
                continue
            assert response.status_code == 201, (sent, response.text)
            stored[field] += 1
            # Emails are compared lower-cased: two spellings of one address are one user.
            expected = sent.lower() if field == "email" else sent
            assert response.json()[field] == expected
            assert (await _read_back_user(client, response.json()["id"]))[field] == expected
            registered[response.json()["id"]] = {
                "email": body["email"].lower(),
                "name": body["name"],
            }
            if field == "email":  # the lookup by this address finds the user just stored
                again = await client.post("/users", content=_body(body), headers=JSON)
                assert again.status_code == 409, (sent, again.text)
        assert await count_rows(users.pool, "users") == sum(stored.values())
        assert await _registered_events(users) == registered  # the events carry them intact
        # Not all refused: the write and read-back paths really carried these strings.
        assert stored["name"] >= len(HOSTILE_TEXT) // 2, stored
        assert stored["email"] >= len(HOSTILE_EMAILS), stored
        await _assert_hostile_paths_and_queries_refused(client, "/users", "user_id")


async def _registered_events(users: RunningService) -> dict[str, dict[str, str]]:
    async with UnitOfWork(users.pool) as uow:
        rows = await uow.fetchall("SELECT payload FROM outbox WHERE event_type = 'user.registered'")
    events = [decode(payload.encode()).event() for (payload,) in rows]
    return {
        str(event.user_id): {"email": event.email, "name": event.name}
        for event in events
        if isinstance(event, UserRegisteredV1)
    }


async def test_hostile_skus_currencies_and_cancel_reasons_are_refused_or_stored_verbatim() -> None:
    async with running_service(ORDER_SERVICE) as orders, orders.client() as client:
        placed = 0
        for text in HOSTILE_TEXT:
            for field, body in (
                ("items.0.sku", new_order(sku=text)),
                ("currency", new_order(currency=text)),
                ("user_id", new_order(user_id=text)),
            ):
                response = await client.post("/orders", content=_body(body), headers=JSON)
                if response.status_code == 202:  # only a sku could ever be stored
                    placed += 1
                    order = (await client.get(response.headers["location"])).json()
                    assert order["items"][0]["sku"] == text
                    continue
                assert response.status_code == 422, (field, text, response.text)
                errors = assert_refusal_explains_itself(response)["errors"]
                assert [error["field"] for error in errors] == [field], (text, errors)

            response = await client.post("/orders", content=_body(new_order()), headers=JSON)
            assert response.status_code == 202, response.text
            placed += 1
            location = response.headers["location"]
            cancel = await client.post(
                f"{location}/cancel", content=_body({"reason": text}), headers=JSON
            )
            if cancel.status_code == 422:
                assert_refusal_explains_itself(cancel)
                continue
            assert cancel.status_code == 200, (text, cancel.text)
            assert cancel.json()["reason"] == text
            assert (await client.get(location)).json()["reason"] == text
        assert await count_rows(orders.pool, "orders") == placed
        await _assert_hostile_paths_and_queries_refused(client, "/orders", "order_id")


async def _assert_hostile_paths_and_queries_refused(
    client: httpx.AsyncClient, collection: str, id_field: str
) -> None:
    for text in HOSTILE_TEXT:
        # A lone surrogate travels as the (invalid UTF-8) bytes it would encode to.
        escaped = quote(text, safe="", errors="surrogatepass")
        by_id = await client.get(f"{collection}/{escaped}")
        assert by_id.status_code == 422, (text, by_id.text)
        errors = assert_refusal_explains_itself(by_id)["errors"]
        assert [error["field"] for error in errors] == [f"path.{id_field}"], errors
        page = await client.get(f"{collection}?cursor={escaped}")
        assert page.status_code == 422, (text, page.text)
        assert [e["field"] for e in assert_refusal_explains_itself(page)["errors"]] == [
            "query.cursor"
        ]


@pytest.fixture
async def users() -> AsyncIterator[RunningService]:
    async with running_service(USER_SERVICE) as running:
        yield running


# Any text a name may be: trimmed already, not blank, within the bound.
names = st.text(min_size=1, max_size=200).filter(lambda text: text == text.strip() and text != "")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=names)
async def test_any_unicode_name_is_read_back_exactly_as_sent(
    users: RunningService, name: str
) -> None:
    async with users.client() as client:
        created = await client.post("/users", content=_body(new_user(name=name)), headers=JSON)
        assert created.status_code == 201, (name, created.text)
        assert (await _read_back_user(client, created.json()["id"]))["name"] == name
