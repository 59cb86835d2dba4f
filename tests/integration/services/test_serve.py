"""``<service> serve`` as a real process: ready with its relay running, it answers, and
SIGTERM ends it cleanly with exit code 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from eda_local.tansu import free_port
from shared.settings import MySQLSettings
from tests.integration.services.changes import LISTED
from tests.support.polling import eventually


def serve_environment(mysql: MySQLSettings) -> dict[str, str]:
    """This process's environment without its EDA_ variables, pointed at ``mysql``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("EDA_")}
    env.update(
        {
            f"EDA_MYSQL__{key.upper()}": str(getattr(mysql, key))
            for key in ("host", "port", "user", "password", "database")
        }
    )
    return env


@dataclass(frozen=True)
class Server:
    """A ``<service> serve`` process and where it answers and writes."""

    name: str
    process: asyncio.subprocess.Process
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()

    async def stop_with_sigterm(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self.process.wait(), timeout=30) == 0


@asynccontextmanager
async def serving(service_name: str, env: dict[str, str], log_path: Path) -> AsyncIterator[Server]:
    """``<service> serve`` on a free port, writing to ``log_path``; killed if left running."""
    port = free_port()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / service_name),
            "serve", "--host", "127.0.0.1", "--port", str(port),
            env=env, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            yield Server(service_name, process, f"http://127.0.0.1:{port}", log_path)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def wait_until_ready(server: Server, client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        try:
            return (await client.get(f"{server.url}/readyz")).status_code == 200
        except httpx.TransportError:
            return server.process.returncode is not None  # stop waiting for a dead process

    await eventually(ready, timeout=30, what=f"{server.name} ready")
    assert server.process.returncode is None, server.log()


async def test_serve_becomes_ready_answers_and_stops_cleanly_on_sigterm(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    env = serve_environment(mysql)
    async with serving(service_name, env, tmp_path / "serve.log") as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            await wait_until_ready(server, client)
            listed = await client.get(LISTED[service_name])
            assert listed.json() == {"items": [], "next_cursor": None}
        await server.stop_with_sigterm()
    output = server.log()
    assert "Traceback" not in output
    assert "Application shutdown complete" in output


async def test_serve_limits_concurrency_from_eda_http_limit_concurrency(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    """uvicorn's limit_concurrency comes from the setting: with 1, the connection a request
    arrives on is already the one allowed, so uvicorn answers 503 without the app."""
    env = serve_environment(mysql)
    env["EDA_HTTP_LIMIT_CONCURRENCY"] = "1"
    statuses: list[int] = []
    async with serving(service_name, env, tmp_path / "serve.log") as server:
        async with httpx.AsyncClient(base_url=server.url) as client:

            async def answered() -> bool:
                try:
                    statuses.append((await client.get("/healthz")).status_code)
                    return True
                except httpx.TransportError:
                    return server.process.returncode is not None

            await eventually(answered, timeout=30, what=f"{service_name} listening")
            assert server.process.returncode is None, server.log()
        assert statuses == [503]


async def test_serve_puts_metrics_on_a_port_of_their_own_with_eda_metrics_port(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    """The API's port no longer answers /metrics, so a NetworkPolicy that admits the
    scraper to the metrics port admits it to nothing else."""
    metrics_port = free_port()
    env = serve_environment(mysql)
    env["EDA_METRICS_PORT"] = str(metrics_port)
    async with serving(service_name, env, tmp_path / "serve.log") as server:
        async with httpx.AsyncClient() as client:
            await wait_until_ready(server, client)
            assert (await client.get(f"{server.url}/metrics")).status_code == 404
            scraped = await client.get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert scraped.status_code == 200
            assert "# TYPE eda_events_published_total counter" in scraped.text
        await server.stop_with_sigterm()
