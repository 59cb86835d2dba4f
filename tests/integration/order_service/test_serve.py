"""``order-service serve`` as a real process: it answers, and SIGTERM ends it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from eda_local.tansu import free_port
from shared.settings import MySQLSettings
from tests.support.polling import eventually

COMMAND = Path(sys.executable).parent / "order-service"


async def test_serve_answers_then_exits_0_on_sigterm(orders_mysql: MySQLSettings) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "EDA_MYSQL__HOST": orders_mysql.host,
        "EDA_MYSQL__PORT": str(orders_mysql.port),
        "EDA_MYSQL__USER": orders_mysql.user,
        "EDA_MYSQL__PASSWORD": orders_mysql.password,
        "EDA_MYSQL__DATABASE": orders_mysql.database,
        "EDA_HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        str(COMMAND),
        "serve",
        "--host",
        "127.0.0.1",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=20, what="serve to become ready")
            assert (await client.get("/orders")).json() == {"items": [], "next_cursor": None}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stdout is not None
    output = (await process.stdout.read()).decode()
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
