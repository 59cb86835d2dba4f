"""What the image tests start a container with: the environment that points it at
this machine's servers, the pod spec it runs under, and its health endpoints answering."""

from __future__ import annotations

import functools

import httpx

from tests.containers import podman
from tests.deploy.chart import Manifest, of_kind
from tests.support.mysql import mysql_settings_for_tests
from tests.support.polling import eventually


def base_env(kafka_bootstrap: str, prefix: str) -> dict[str, str]:
    mysql = mysql_settings_for_tests()
    return {
        "EDA_MYSQL__HOST": mysql.host,
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD": mysql.password,
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "EDA_KAFKA__TOPIC_PREFIX": prefix,
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",  # Tansu refuses it
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_RABBITMQ__QUEUE_PREFIX": prefix,
        "EDA_RABBITMQ__EXCHANGE": f"{prefix}events",
        "OTEL_SDK_DISABLED": "true",
    }


def env_args(env: dict[str, str]) -> list[str]:
    return [flag for name, value in env.items() for flag in ("--env", f"{name}={value}")]


def pod_of(manifests: list[Manifest], deployment: str) -> Manifest:
    spec: Manifest = of_kind(manifests, "Deployment")[deployment]["spec"]["template"]["spec"]
    return spec


def container_of(pod: Manifest, name: str | None = None) -> Manifest:
    (container,) = [c for c in pod["containers"] if name is None or c["name"] == name]
    found: Manifest = container
    return found


async def answers(running: podman.Container, port: int, paths: tuple[str, ...]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for path in paths:
            url = f"http://127.0.0.1:{port}{path}"
            await eventually(
                functools.partial(_ok, client, url, running),
                timeout=90,
                interval=0.25,
                what=f"{url} answering 200",
            )


async def _ok(client: httpx.AsyncClient, url: str, running: podman.Container) -> bool:
    state = running.state()
    assert state == "running", f"the container is {state}:\n{running.logs()[-3000:]}"
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False
