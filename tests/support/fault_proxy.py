"""A TCP proxy the tests control: forward to a server, or cut every link on demand.

While cut, open connections are closed and new ones are accepted and closed at
once, as when a network link or the server goes away; ``restore`` lets traffic
through again. ``delay_s`` holds every chunk that long in each direction, as a slow
link would. Used instead of stopping shared servers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._cut = False
        self.port = 0
        self.delay_s = 0.0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self._cut = True
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def restore(self) -> None:
        self._cut = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._links.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )
        for end in (writer, upstream_writer):
            self._links.discard(end)
            end.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Whatever ends this direction (end of stream, a reset, a cut) closes the other
        # side too: a killed client must look killed to the server, or the server keeps
        # its open transaction and locks.
        try:
            while not reader.at_eof():
                data = await reader.read(65536)
                if not data or self._cut:
                    break
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)  # the fault itself: a slow link
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


@contextlib.asynccontextmanager
async def fault_proxy(
    target_host: str, target_port: int, port: int = 0
) -> AsyncIterator[FaultProxy]:
    proxy = FaultProxy(target_host, target_port)
    await proxy.start(port)
    try:
        yield proxy
    finally:
        await proxy.close()
