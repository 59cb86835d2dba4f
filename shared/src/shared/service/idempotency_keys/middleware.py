"""The ``Idempotency-Key`` request header on every POST (decisions 20 and 25).

Without the header a request runs as it always did. With it:

- a malformed key is a 400;
- the key is claimed for the caller first, in one round trip that inserts and commits
  a pending row on the connection the request then runs its transaction on; a key
  used for another request is a 422, one whose first request is still running a 409
  with ``Retry-After``, one whose request completed gets the stored response again,
  marked ``Idempotent-Replayed: true``, and nothing runs;
- a claimed request runs in one transaction (``RequestTransaction``); if it committed
  a change, its response is stored in that transaction and committed with it, in one
  round trip; if it changed nothing, the key is released and a retry runs again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import aiomysql
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db.unit_of_work import UnitOfWork
from shared.http.errors import RETRY_AFTER_S, is_unavailable
from shared.service.idempotency_keys import store
from shared.service.idempotency_keys.header import (
    IDEMPOTENCY_KEY,
    REPLAYED,
    InvalidKeyError,
    fingerprint,
    parse_key,
)
from shared.service.idempotency_keys.transaction import RequestTransaction
from shared.settings import IdempotencySettings

if TYPE_CHECKING:
    from shared.service.settings import ServiceSettings

log = logging.getLogger(__name__)

_HEADER = IDEMPOTENCY_KEY.lower().encode()
# What a replay must say again: the body's type and where the created thing is.
_STORED_HEADERS = {b"content-type", b"location"}
_PROBLEM = "about:blank"
_FIELD = f"header.{IDEMPOTENCY_KEY}"


CallerOf = Callable[[Request], Awaitable[str | None]]
"""The subject that scopes a request's key, None when the app must answer its token."""


class KeyedRequestNeeds(Protocol):
    """What a keyed request runs on: the service's runtime, once the app has started."""

    @property
    def pool(self) -> aiomysql.Pool: ...

    @property
    def settings(self) -> ServiceSettings: ...

    def wake_relay(self) -> None: ...


class IdempotencyKeys:
    def __init__(
        self, app: ASGIApp, *, caller_of: CallerOf, runtime: Callable[[], KeyedRequestNeeds]
    ) -> None:
        self._app = app
        self._caller_of = caller_of
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(_HEADER)
        if raw_key is None:
            await self._app(scope, receive, send)
            return
        try:
            key = parse_key(raw_key)
        except InvalidKeyError as exc:
            await _problem(send, 400, "Invalid Idempotency-Key", str(exc))
            return
        # The subject scopes the key: one caller never sees another's responses.
        caller = await self._caller_of(Request(scope))
        if caller is None:  # the app answers the missing or bad token
            await self._app(scope, receive, send)
            return
        keyed = _Keyed(self._app, scope, receive, send, key=key, caller=caller)
        await keyed.run(self._runtime())


class _Keyed:
    """One request that carries a well-formed key."""

    def __init__(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, key: str, caller: str
    ) -> None:
        self._app, self._scope, self._receive, self._send = app, scope, receive, send
        self._key, self._caller = key, caller

    async def run(self, runtime: KeyedRequestNeeds) -> None:
        self._pool = runtime.pool
        self._wake_relay = runtime.wake_relay
        self._settings: IdempotencySettings = runtime.settings.platform.idempotency
        body = await _read_body(self._receive)
        print_ = fingerprint(
            self._scope["method"],
            self._scope["path"],
            self._scope.get("query_string", b""),
            self._caller,
            body,
        )
        transaction = RequestTransaction(self._pool)
        try:
            uow = await transaction.open()
            outcome = await store.claim(uow, self._caller, self._key, print_, self._settings)
        except BaseException as exc:
            await self._fail(transaction, exc)
            return
        if isinstance(outcome, store.Claimed):
            await self._run_claimed(transaction, outcome.token, print_, body)
            return
        await transaction.close()
        if isinstance(outcome, store.StoredResponse):
            await _respond(self._send, outcome, replayed=True)
        elif isinstance(outcome, store.OtherRequest):
            await _problem(
                self._send,
                422,
                "Idempotency-Key reused",
                f"the {IDEMPOTENCY_KEY} {self._key!r} was used for another request",
            )
        else:
            await _problem(
                self._send,
                409,
                "Request in flight",
                f"a request with the {IDEMPOTENCY_KEY} {self._key!r} is still being processed;"
                " retry after Retry-After seconds",
                retry_after=self._settings.retry_after_s,
            )

    async def _run_claimed(
        self, transaction: RequestTransaction, token: str, print_: str, body: bytes
    ) -> None:
        response = _Captured()
        try:
            await self._app(
                transaction.install(self._scope), _replaying(body, self._receive), response.send
            )
            committed = transaction.commit_asked
            if committed:
                await store.complete_and_commit(
                    transaction.open_unit_of_work,
                    self._caller,
                    self._key,
                    token=token,
                    fingerprint=print_,
                    response=response.stored(),
                )
        except store.ClaimLostError:
            await transaction.close()
            await self._send_in_flight()
            return
        except BaseException as exc:
            await self._fail(transaction, exc, claimed=token)
            return
        if not committed:
            await self._release(transaction.open_unit_of_work, token)
        await transaction.close()
        if committed and transaction.wrote_outbox:
            self._wake_relay()
        await response.replay(self._send)

    async def _fail(
        self, transaction: RequestTransaction, exc: BaseException, *, claimed: str | None = None
    ) -> None:
        """Close the transaction after ``exc`` and release the ``claimed`` key's token, so
        that a retry runs again; answer 503 if the database was unavailable, else raise."""
        await transaction.close()
        if not isinstance(exc, Exception):
            raise exc
        if claimed is not None:
            await self._release_on_another_connection(claimed)
        if not is_unavailable(exc):
            raise exc
        await _unavailable(self._send, exc)

    async def _send_in_flight(self) -> None:
        await _problem(
            self._send,
            409,
            "Request in flight",
            f"the {IDEMPOTENCY_KEY} {self._key!r} was taken over by a later request",
            retry_after=self._settings.retry_after_s,
        )

    async def _release_on_another_connection(self, token: str) -> None:
        """After a failure the request's connection may be broken: release on a new one."""
        try:
            async with UnitOfWork(self._pool) as uow:
                await self._release(uow, token)
        except Exception as exc:
            log.warning("could not release idempotency key %r: %s", self._key, exc)

    async def _release(self, uow: UnitOfWork, token: str) -> None:
        try:
            await store.release(uow, self._caller, self._key, token)
        except Exception as exc:  # the claim then expires after claim_timeout_s
            log.warning("could not release idempotency key %r: %s", self._key, exc)


class _Captured:
    """The app's answer, held back until the transaction's outcome is known."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def stored(self) -> store.StoredResponse:
        if self.start is None:
            raise RuntimeError("the app sent no response")
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in self.start.get("headers", [])
            if name.lower() in _STORED_HEADERS
        ]
        return store.StoredResponse(int(self.start["status"]), headers, bytes(self.body))

    async def replay(self, send: Send) -> None:
        if self.start is None:
            raise RuntimeError("the app sent no response")
        await send(self.start)
        await send({"type": "http.response.body", "body": bytes(self.body)})


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)


def _replaying(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _respond(send: Send, response: store.StoredResponse, *, replayed: bool) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    if replayed:
        headers.append((REPLAYED.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _problem(
    send: Send, status: int, title: str, detail: str, *, retry_after: int | None = None
) -> None:
    """An RFC 9457 problem; ``detail`` as in every other error answer of the services."""
    document: dict[str, Any] = {
        "type": _PROBLEM,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if status in {400, 422}:  # the field at fault, as every other 400 and 422 names it
        document["errors"] = [{"field": _FIELD, "message": detail}]
    headers = [("content-type", "application/problem+json")]
    if retry_after is not None:
        headers.append(("retry-after", str(retry_after)))
    await _respond(
        send, store.StoredResponse(status, headers, json.dumps(document).encode()), replayed=False
    )


async def _unavailable(send: Send, exc: BaseException) -> None:
    log.warning("database unavailable for an idempotency key: %s", exc)
    body = json.dumps({"detail": "a dependency is unavailable; retry later"}).encode()
    headers = [("content-type", "application/json"), ("retry-after", str(RETRY_AFTER_S))]
    await _respond(send, store.StoredResponse(503, headers, body), replayed=False)
