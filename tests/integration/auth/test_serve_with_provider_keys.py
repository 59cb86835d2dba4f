"""A real `user-service serve` process taking its keys from an OpenID provider over
https: started while the provider is down (tokens answered 503, then accepted once it is
back), then through a key rotation, with no restart."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from eda_local.tansu import free_port
from tests.support.claims import AUDIENCE
from tests.support.jwt_keys import bearer
from tests.support.polling import eventually
from tests.support.secured.certs import Certificates
from tests.support.secured.oidc_provider import RunningProvider
from tests.support.service_apps import USER_SERVICE, throwaway_service_database

# The user-service as a process on a throwaway database (kafka: its fixture).
pytestmark = [pytest.mark.mysql]

BIN = Path(sys.executable).parent
ADMIN = ["eda:admin"]
USER = str(uuid.uuid4())


Serve = Callable[[], Awaitable[tuple[str, Path]]]


@pytest.fixture
async def serve(
    oidc: RunningProvider, tls_certs: Certificates, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[Serve]:
    """Starts `user-service serve` when called (its base URL and log), stops it after."""
    port, unique, log = free_port(), uuid.uuid4().hex[:8], tmp_path / "user-service.log"
    async with throwaway_service_database(USER_SERVICE) as mysql:
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith("EDA_")},
            "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
            "EDA_KAFKA__TOPIC_PREFIX": f"auth{unique}.",
            "EDA_RABBITMQ__EXCHANGE": f"events-auth{unique}",
            "EDA_MYSQL__HOST": mysql.host,
            "EDA_MYSQL__PORT": str(mysql.port),
            "EDA_MYSQL__USER": mysql.user,
            "EDA_MYSQL__PASSWORD": mysql.password,
            "EDA_MYSQL__DATABASE": mysql.database,
            "EDA_AUTH__ENABLED": "true",
            "EDA_AUTH__ISSUER": oidc.provider.issuer,
            "EDA_AUTH__AUDIENCE": AUDIENCE,
            "EDA_AUTH__DISCOVERY": "true",
            "EDA_AUTH__CA_FILE": str(tls_certs.ca),
            "EDA_AUTH__JWKS_REFRESH_S": "1",
        }
        processes: list[asyncio.subprocess.Process] = []

        async def start() -> tuple[str, Path]:
            with log.open("ab") as output:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        str(BIN / "user-service"),
                        "serve",
                        "--port",
                        str(port),
                        env=environment,
                        stdout=output,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )
            return f"http://127.0.0.1:{port}", log

        try:
            yield start
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
                await asyncio.wait_for(process.wait(), timeout=30)


async def test_serve_waits_for_the_provider_and_follows_its_rotation(
    oidc: RunningProvider, serve: Serve
) -> None:
    provider = oidc.provider
    old = provider.keys[0]
    await oidc.stop_listening()  # before the process starts: it must start all the same
    url, log = await serve()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(ready, timeout=60, interval=0.2, what=log.read_text)

        async def status(token: str) -> int:
            return (await client.get(f"/users/{USER}", headers=bearer(token))).status_code

        token = provider.token(USER, ADMIN, key=old)
        assert await status(token) == 503
        await oidc.listen()

        async def accepted() -> bool:
            return await status(token) == 404

        await eventually(accepted, timeout=40, interval=0.2, what="the old key accepted")

        new = provider.add_key()
        assert await status(provider.token(USER, ADMIN, key=new)) == 404
        provider.remove_key(old.kid)

        async def old_refused() -> bool:
            return await status(provider.token(USER, ADMIN, key=old)) == 401

        await eventually(old_refused, timeout=15, interval=0.2, what="the old key refused")
        assert await status(provider.token(USER, ADMIN, key=new)) == 404
    text = log.read_text()
    assert "could not be fetched" in text
    assert token not in text
