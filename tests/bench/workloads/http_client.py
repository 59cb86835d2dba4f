"""A lean keep-alive HTTP/1.1 client for the benchmarks' load: JSON POSTs, status codes back.

httpx spends about ten times the CPU per request of this client (see
docs/benchmarks.md); on a machine whose two cores also run the server, MariaDB
and the broker, that CPU would come out of the figures being measured. This
client writes a prepared request and reads the status line, the headers and a
``Content-Length`` body; nothing else of HTTP is needed against one known server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from urllib.parse import urlsplit

from eda_cli.load.pacing import Send

_HEAD_END = b"\r\n\r\n"


class HttpProtocolError(Exception):
    pass


class StaleConnectionError(Exception):
    """The server had closed the connection before it could read the request: nothing of
    an answer came back (a kept-alive connection its keep-alive timeout closed)."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.reusable = True

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer; return the status code."""
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(_HEAD_END)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            raise StaleConnectionError from exc
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise StaleConnectionError from exc
        if not head.startswith(b"HTTP/1.1 "):
            raise HttpProtocolError(f"not an HTTP/1.1 answer: {head[:40]!r}")
        status = int(head[9:12])
        length: int | None = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.reusable = False
        if length is None:
            raise HttpProtocolError("an answer without Content-Length")
        await self._reader.readexactly(length)
        return status

    @property
    def alive(self) -> bool:
        """False once the server closed it (an idle keep-alive connection times out)."""
        return self.reusable and not self._reader.at_eof() and not self._writer.is_closing()

    def close(self) -> None:
        self.reusable = False
        self._writer.close()


_FAILURES = (
    OSError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    HttpProtocolError,
    StaleConnectionError,
)


class HttpPool:
    """Up to ``size`` keep-alive connections; a request waits for a free one.

    A request whose kept-alive connection turns out closed by the server, with no byte of
    an answer, goes once more on a new connection, as browsers and HTTP libraries do: the
    server closed that connection idle and never read the request. ``resent`` counts them.
    """

    def __init__(self, url: str, size: int) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"need http://host:port, got {url!r}")
        self._host = parts.hostname
        self._port = parts.port
        self._authority = f"{self._host}:{self._port}".encode()
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []
        self.resent = 0

    def json_post(self, path: str, body: bytes, key: str | None = None) -> bytes:
        """The request bytes, built once per body (per request when it carries a key)."""
        keyed = b"Idempotency-Key: %s\r\n" % key.encode() if key is not None else b""
        return (
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s"
            b"Content-Length: %d\r\n\r\n%s"
            % (path.encode(), self._authority, keyed, len(body), body)
        )

    def sender(self, path: str, bodies: Sequence[bytes], keys: str | None = None) -> Send:
        """A ``Send`` for the load of ``eda_cli.load.pacing``: the n-th request POSTs the
        bodies round-robin; with ``keys``, under its own ``Idempotency-Key`` keys-n."""
        requests = [self.json_post(path, body) for body in bodies]

        async def send(index: int) -> str:
            if keys is not None:
                body = bodies[index % len(bodies)]
                return await self.send(self.json_post(path, body, f"{keys}-{index}"))
            return await self.send(requests[index % len(requests)])

        return send

    async def send(self, request: bytes) -> str:
        """The status code as text, or the error's class name."""
        async with self._slots:
            connection: _Connection | None = None
            try:
                connection = self._take_idle()
                if connection is not None:
                    try:
                        return self._done_with(connection, await connection.exchange(request))
                    except StaleConnectionError:
                        connection.close()
                        self.resent += 1
                connection = await self._open()
                return self._done_with(connection, await connection.exchange(request))
            except _FAILURES as exc:
                if connection is not None:
                    connection.close()
                cause = exc.__cause__ if isinstance(exc, StaleConnectionError) else exc
                return type(cause).__name__
            except BaseException:  # cancelled mid-exchange: the connection is in no known state
                if connection is not None:
                    connection.close()
                raise

    def _done_with(self, connection: _Connection, status: int) -> str:
        if connection.reusable:
            self._idle.append(connection)
        else:
            connection.close()
        return str(status)

    async def close(self) -> None:
        for connection in self._idle:
            with contextlib.suppress(OSError):
                connection.close()
        self._idle.clear()

    def _take_idle(self) -> _Connection | None:
        """The most recently used live connection: the busy few stay warm, the rest idle out."""
        while self._idle:
            connection = self._idle.pop()
            if connection.alive:
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return _Connection(reader, writer)
