"""HTTP clients for the load: one keep-alive connection each, lent per request.

httpx's connection pool does work in proportion to its connections on every
request: one client with 200 connections spent about 15 ms of CPU per request and
managed 26 requests/s against a server answering in 0.5 s, where 200 clients of
one connection each, handed out from an idle queue, spent under 2 ms and kept up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping

import httpx


class ClientPool:
    def __init__(self, size: int, timeout_s: float, headers: Mapping[str, str]) -> None:
        self._size = size
        self._timeout_s = timeout_s
        self._headers = dict(headers)
        self._idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        self._clients: list[httpx.AsyncClient] = []
        # One TLS context for all: httpx would build one per client.
        self._tls = ssl.create_default_context()

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client no other request is using, for one request."""
        if self._idle.empty() and len(self._clients) < self._size:
            lent = self._new_client()
        else:
            lent = await self._idle.get()
        try:
            yield lent
        finally:
            self._idle.put_nowait(lent)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
        self._clients.clear()

    def _new_client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            timeout=self._timeout_s,
            headers=self._headers,
            verify=self._tls,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self._clients.append(client)
        return client
