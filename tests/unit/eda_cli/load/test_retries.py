"""``eda load``'s POSTs: one Idempotency-Key per request, the same on every retry after a
connection error, a 503 or a 409; other answers are final."""

from __future__ import annotations

import httpx
import pytest

from eda_cli.load import retries
from eda_cli.load.retries import post_with_key


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retries, "MAX_WAIT_S", 0.0)


def server(*answers: int | type[httpx.TransportError]) -> tuple[httpx.AsyncClient, list[str]]:
    keys: list[str] = []
    remaining = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        outcome = remaining.pop(0)
        if isinstance(outcome, type):
            raise outcome("the link dropped", request=request)
        return httpx.Response(outcome, headers={"retry-after": "1"})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer)), keys


async def test_a_request_is_retried_with_its_key_until_answered() -> None:
    client, keys = server(httpx.ConnectError, httpx.RemoteProtocolError, 503, 409, 202)
    async with client:
        response = await post_with_key(client, "http://orders/orders", json={})
    assert response.status_code == 202
    assert len(keys) == 5
    assert len(set(keys)) == 1


async def test_each_request_has_its_own_key_and_a_refusal_is_final() -> None:
    client, keys = server(422, 202)
    async with client:
        first = await post_with_key(client, "http://orders/orders", json={})
        second = await post_with_key(client, "http://orders/orders", json={})
    assert (first.status_code, second.status_code) == (422, 202)
    assert len(set(keys)) == 2


async def test_the_last_connection_error_is_raised() -> None:
    client, keys = server(*[httpx.ConnectError] * 3)
    async with client:
        with pytest.raises(httpx.ConnectError):
            await post_with_key(client, "http://orders/orders", json={}, attempts=3)
    assert len(keys) == 3
