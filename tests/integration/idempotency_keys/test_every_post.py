"""Idempotency-Key on every POST of every service, against MariaDB: a retry gets the
stored response and writes nothing, a reused key for another request is a 422, a key
still in flight a 409 that never waits on a lock, a malformed key a 400."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.db import UnitOfWork
from shared.service.idempotency_keys import purge_expired_keys, store
from shared.service.idempotency_keys.header import fingerprint
from shared.settings import IdempotencySettings
from tests.integration.idempotency_keys.idempotent_posts import CREATIONS, TRANSITIONS, post
from tests.support.mysql import count_rows
from tests.support.polling import eventually

CALLER = "anonymous"  # auth off: every request speaks for the anonymous admin


async def test_a_retry_gets_the_stored_response_and_writes_nothing(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    first = await post(client, creation.path, creation.body, "retry-1")
    again = await post(client, creation.path, creation.body, "retry-1")
    assert first.status_code == again.status_code == creation.status
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers.get("location") == first.headers.get("location")
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await count_rows(pool, creation.table) == 1
    assert await count_rows(pool, "outbox") == 1


async def test_a_request_without_a_key_runs_each_time(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    await post(client, creation.path, creation.body)
    if service_name == "user-service":  # the same email twice is refused
        assert (await post(client, creation.path, creation.body)).status_code == 409
        return
    assert (await post(client, creation.path, creation.body)).status_code == creation.status
    assert await count_rows(pool, creation.table) == 2
    assert await count_rows(pool, "idempotency_keys") == 0


async def test_a_state_change_retried_is_replayed_not_refused(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    target, event_type = TRANSITIONS[service_name]
    path = await target(client)
    first = await post(client, path, None, "change-1")
    again = await post(client, path, None, "change-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows(pool, "outbox", f"event_type = '{event_type}'") == 1
    # Without the key the second attempt is what it always was: a conflict.
    assert (await post(client, path, None)).status_code == 409


async def test_a_key_used_for_another_request_is_a_422(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    await post(client, creation.path, creation.body, "reused")
    other = await post(client, creation.path, creation.other_body, "reused")
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "was used for another request" in other.json()["detail"]
    assert await count_rows(pool, creation.table) == 1


async def test_a_key_in_flight_is_a_409_with_retry_after(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    print_ = fingerprint("POST", creation.path, b"", CALLER, creation.body)
    held = await _claim(pool, "busy", print_)
    assert isinstance(held, store.Claimed)
    answer = await post(client, creation.path, creation.body, "busy")
    assert answer.status_code == 409
    assert answer.headers["retry-after"] == "1"
    assert "still being processed" in answer.json()["detail"]
    assert await count_rows(pool, creation.table) == 0


async def test_a_completion_commits_without_waiting_for_its_client(
    service_name: str,
    client: httpx.AsyncClient,
    pool: aiomysql.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The response and the change commit in one round trip: while the first request
    has not yet read the answer to it, its key's row is committed and unlocked, and a
    retry gets the stored response at once. (Were the response stored and the commit
    sent in two round trips, the row would stay pending and locked meanwhile.)"""
    creation = CREATIONS[service_name]
    complete = store.complete_and_commit
    retried: list[httpx.Response] = []

    async def retry_before_reading_the_answer(uow: UnitOfWork, *args: Any, **kwargs: Any) -> None:
        connection = uow.connection
        read_answer = connection._read_query_result

        async def retry_first(*read_args: object, **read_kwargs: object) -> object:
            del connection._read_query_result
            await eventually(
                lambda: _completed(pool, "slow"), what="the key's row committed", timeout=10
            )
            retried.append(await post(client, creation.path, creation.body, "slow"))
            return await read_answer(*read_args, **read_kwargs)

        connection._read_query_result = retry_first
        await complete(uow, *args, **kwargs)

    monkeypatch.setattr(store, "complete_and_commit", retry_before_reading_the_answer)
    first = await post(client, creation.path, creation.body, "slow")
    assert first.status_code == creation.status
    [retry] = retried
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    assert await count_rows(pool, creation.table) == 1


async def _completed(pool: aiomysql.Pool, key: str) -> bool:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(
            "SELECT response_status FROM idempotency_keys WHERE idempotency_key = %s", (key,)
        )
    return row is not None and row[0] is not None


async def test_a_claim_left_by_a_dead_request_is_taken_over(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    print_ = fingerprint("POST", creation.path, b"", CALLER, creation.body)
    left = await _claim(pool, "left", print_)
    await _claimed_long_ago(pool, "left")
    answer = await post(client, creation.path, creation.body, "left")
    assert answer.status_code == creation.status
    assert await count_rows(pool, creation.table) == 1
    # The dead request, had it lived on, can no longer complete and commit its change.
    assert isinstance(left, store.Claimed)
    async with UnitOfWork(pool) as late:
        await late.execute("DELETE FROM outbox")  # its change, which must not commit
        lost = store.StoredResponse(200, [], b"{}")
        with pytest.raises(store.ClaimLostError):
            await store.complete_and_commit(
                late, CALLER, "left", token=left.token, fingerprint=print_, response=lost
            )
    assert await count_rows(pool, "outbox") == 1
    replay = await post(client, creation.path, creation.body, "left")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == answer.content


async def test_a_request_that_changes_nothing_releases_its_key(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    target, _ = TRANSITIONS[service_name]
    path = await target(client)
    unknown = path.replace(path.split("/")[2], "0190f5a8-0000-7000-8000-0000000000ff")
    assert (await post(client, unknown, None, "nothing")).status_code == 404
    assert await count_rows(pool, "idempotency_keys") == 0
    assert (await post(client, unknown, None, "nothing")).status_code == 404


async def test_the_response_commits_with_the_change_or_neither_does(
    service_name: str,
    client: httpx.AsyncClient,
    pool: aiomysql.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The link drops as the response is stored and committed: neither the change, its
    event nor the key remain, and the retry runs the request."""
    creation = CREATIONS[service_name]
    complete = store.complete_and_commit

    async def lose_the_link_then_complete(uow: UnitOfWork, *args: Any, **kwargs: Any) -> None:
        # As a cut link: the batch never arrives and the server rolls the transaction back.
        uow.connection._writer.transport.abort()
        await complete(uow, *args, **kwargs)

    monkeypatch.setattr(store, "complete_and_commit", lose_the_link_then_complete)
    lost = await post(client, creation.path, creation.body, "lost")
    assert lost.status_code == 503
    assert lost.headers["retry-after"]
    for table in (creation.table, "outbox", "idempotency_keys"):
        assert await count_rows(pool, table) == 0, table
    monkeypatch.undo()
    assert (await post(client, creation.path, creation.body, "lost")).status_code == (
        creation.status
    )
    assert await count_rows(pool, creation.table) == 1


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "must not be empty"),
        ("k" * 256, "at most 255 characters"),
        ("caf\u00e9", "printable ASCII"),
        ("tab\there", "printable ASCII"),
    ],
)
async def test_a_malformed_key_is_a_400(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool, key: str, says: str
) -> None:
    creation = CREATIONS[service_name]
    headers = [(b"content-type", b"application/json"), (b"idempotency-key", key.encode("latin-1"))]
    answer = await client.post(creation.path, content=creation.body, headers=headers)
    assert answer.status_code == 400
    assert says in answer.json()["detail"]
    assert await count_rows(pool, creation.table) == 0


async def test_a_key_may_be_a_structured_field_string(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    await post(client, creation.path, creation.body, '"quoted-1"')
    again = await post(client, creation.path, creation.body, "quoted-1")
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows(pool, creation.table) == 1


async def test_twenty_requests_with_one_key_at_once_write_once(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    answers = await asyncio.gather(
        *(post(client, creation.path, creation.body, "together") for _ in range(20))
    )
    kinds = Counter(
        "replay" if answer.headers.get("idempotent-replayed") else str(answer.status_code)
        for answer in answers
    )
    assert kinds[str(creation.status)] == 1, kinds
    assert kinds["replay"] + kinds["409"] == 19, kinds
    assert await count_rows(pool, creation.table) == 1
    assert await count_rows(pool, "outbox") == 1


async def test_keys_past_their_retention_are_purged_in_chunks(
    service_name: str, client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    creation = CREATIONS[service_name]
    await post(client, creation.path, creation.body, "old")
    await post(client, creation.path, creation.other_body, "new")
    async with UnitOfWork(pool) as uow:
        await uow.execute(
            "UPDATE idempotency_keys SET created_at = created_at - INTERVAL 25 HOUR"
            " WHERE idempotency_key = 'old'"
        )
        await uow.commit()
    assert await purge_expired_keys(pool, retention_s=86_400, chunk=1) == 1
    assert await count_rows(pool, "idempotency_keys") == 1


async def test_every_post_documents_the_header(app: FastAPI) -> None:
    posts = [
        (path, item["post"]) for path, item in app.openapi()["paths"].items() if "post" in item
    ]
    assert posts
    for path, operation in posts:
        names = [parameter["name"] for parameter in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, path
        assert {"400", "409", "422"} <= set(operation["responses"]), path


async def _claimed_long_ago(pool: aiomysql.Pool, key: str) -> None:
    async with UnitOfWork(pool) as uow:
        await uow.execute(
            "UPDATE idempotency_keys SET claimed_at = claimed_at - INTERVAL 1 HOUR"
            " WHERE idempotency_key = %s",
            (key,),
        )
        await uow.commit()


async def _claim(pool: aiomysql.Pool, key: str, print_: str) -> store.ClaimOutcome:
    """A claim as a request makes it, by a request that then never completes."""
    async with UnitOfWork(pool) as uow:
        return await store.claim(uow, CALLER, key, print_, IdempotencySettings())


async def test_a_keyed_request_wakes_the_relay_after_its_commit_and_a_replay_does_not(
    service_name: str, app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    woken: list[int] = []
    monkeypatch.setattr(app.state.runtime.relay, "wake", lambda: woken.append(1))
    creation = CREATIONS[service_name]
    first = await post(client, creation.path, creation.body, "wake-1")
    assert first.status_code == creation.status
    assert woken == [1]
    again = await post(client, creation.path, creation.body, "wake-1")
    assert again.headers["idempotent-replayed"] == "true"
    assert woken == [1]
