"""A TCP proxy in front of an HTTP service that drops a share of its answers: the
request reaches the service and runs (its transaction commits), then the connection is
closed before the client reads a byte of the response, as when a link fails after the
commit. The client cannot tell whether its request took effect."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator


class AnswerDropper:
    def __init__(self, target_host: str, target_port: int, share: float, seed: int) -> None:
        self._target = (target_host, target_port)
        self._share = share
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self.dropped = 0
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        await asyncio.gather(
            self._pipe(reader, upstream_writer, drop=False),
            self._pipe(upstream_reader, writer, drop=True),
            return_exceptions=True,
        )
        for end in (writer, upstream_writer):
            end.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, drop: bool
    ) -> None:
        try:
            while not reader.at_eof():
                data = await reader.read(65536)
                if not data:
                    break
                if drop and self._random.random() < self._share:
                    self.dropped += 1
                    break  # the answer is lost: both sides are closed below
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


@contextlib.asynccontextmanager
async def dropping_answers(
    target_host: str, target_port: int, share: float, seed: int = 17
) -> AsyncIterator[AnswerDropper]:
    proxy = AnswerDropper(target_host, target_port, share, seed)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
