"""Say once when an HTTP service answers its readiness check: the services' own
start-up lines are uvicorn's, which the console shows only at DEBUG."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

_POLL_S = 0.2


async def ready(host: str, port: int) -> bool:
    """True when GET /readyz answers 200."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    try:
        writer.write(f"GET /readyz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
    except OSError:
        return False
    finally:
        writer.close()
    return status.split(b" ")[1:2] == [b"200"]


async def announce_when_ready(host: str, port: int, say: Callable[[], None]) -> None:
    while True:
        if await ready(host, port):
            say()
            return
        await asyncio.sleep(_POLL_S)  # another process's state: nothing to await but time
