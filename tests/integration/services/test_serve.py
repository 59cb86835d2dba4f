"""``<service> serve`` as a real process: ready with its relay running, it answers, and
SIGTERM ends it cleanly with exit code 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
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


async def test_serve_becomes_ready_answers_and_stops_cleanly_on_sigterm(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    port = free_port()
    env = serve_environment(mysql)
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / service_name),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return process.returncode is not None  # stop waiting for a dead process

            await eventually(ready, timeout=30, what=f"{service_name} ready")
            assert process.returncode is None, log_path.read_text()
            listed = await client.get(LISTED[service_name])
            assert listed.json() == {"items": [], "next_cursor": None}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
    output = log_path.read_text()
    assert "Traceback" not in output
    assert "Application shutdown complete" in output


async def test_serve_limits_concurrency_from_eda_http_limit_concurrency(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    """uvicorn's limit_concurrency comes from the setting: with 1, the connection a request
    arrives on is already the one allowed, so uvicorn answers 503 without the app."""
    port = free_port()
    env = serve_environment(mysql)
    env["EDA_HTTP_LIMIT_CONCURRENCY"] = "1"
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / service_name),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=log,
        stderr=log,
    )
    statuses: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def answered() -> bool:
                try:
                    statuses.append((await client.get("/healthz")).status_code)
                    return True
                except httpx.TransportError:
                    return process.returncode is not None

            await eventually(answered, timeout=30, what=f"{service_name} listening")
            assert process.returncode is None, log_path.read_text()
        assert statuses == [503]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        log.close()


async def test_serve_puts_metrics_on_a_port_of_their_own_with_eda_metrics_port(
    service_name: str, mysql: MySQLSettings, tmp_path: Path
) -> None:
    """The API's port no longer answers /metrics, so a NetworkPolicy that admits the
    scraper to the metrics port admits it to nothing else."""
    port, metrics_port = free_port(), free_port()
    env = serve_environment(mysql)
    env["EDA_METRICS_PORT"] = str(metrics_port)
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / service_name),
        "serve", "--host", "127.0.0.1", "--port", str(port),
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as client:

            async def ready() -> bool:
                try:
                    answer = await client.get(f"http://127.0.0.1:{port}/readyz")
                    return answer.status_code == 200
                except httpx.TransportError:
                    return process.returncode is not None

            await eventually(ready, timeout=30, what=f"{service_name} ready")
            assert process.returncode is None, log_path.read_text()
            assert (await client.get(f"http://127.0.0.1:{port}/metrics")).status_code == 404
            scraped = await client.get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert scraped.status_code == 200
            assert "# TYPE eda_events_published_total counter" in scraped.text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
