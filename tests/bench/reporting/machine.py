"""The machine a run measured: CPU, memory, OS, Python, the client libraries and the
brokers' and database's versions, each found cheaply and ``unknown`` when it cannot be."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import aiomysql

from eda_local.tansu import tansu_binary
from shared.settings import load_settings
from tests.support.mysql import mysql_settings_for_tests

LIBRARIES = (
    "aiokafka",
    "aio-pika",
    "faststream",
    "pydantic",
    "fastapi",
    "uvicorn",
    "aiomysql",
    "opentelemetry-sdk",
)
UNKNOWN = "unknown"
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Machine:
    cpu_model: str
    cpu_count: int
    virtual: bool
    memory_gib: float
    os: str
    kernel: str
    python: str
    libraries: dict[str, str] = field(default_factory=dict)
    servers: dict[str, str] = field(default_factory=dict)
    """Tansu, RabbitMQ and MariaDB versions."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Machine:
        return cls(
            cpu_model=str(document["cpu_model"]),
            cpu_count=int(document["cpu_count"]),
            virtual=bool(document["virtual"]),
            memory_gib=float(document["memory_gib"]),
            os=str(document["os"]),
            kernel=str(document["kernel"]),
            python=str(document["python"]),
            libraries={str(k): str(v) for k, v in document.get("libraries", {}).items()},
            servers={str(k): str(v) for k, v in document.get("servers", {}).items()},
        )

    def lines(self) -> list[str]:
        """The description as Markdown list items."""
        kind = "virtual machine" if self.virtual else "physical machine"
        libraries = ", ".join(f"{name} {version}" for name, version in self.libraries.items())
        servers = ", ".join(f"{name} {version}" for name, version in self.servers.items())
        return [
            f"- CPU: {self.cpu_model}, {self.cpu_count} cores ({kind})",
            f"- memory: {self.memory_gib:.1f} GiB",
            f"- OS: {self.os}, Linux {self.kernel}",
            f"- Python {self.python}; {libraries}",
            f"- servers, all on this machine: {servers}",
        ]


def describe_machine(rabbitmq_url: str | None = None) -> Machine:
    """Everything but the servers comes from this process and ``/proc``; each server is
    asked for its version (Tansu's binary, RabbitMQ's AMQP handshake, ``SELECT VERSION()``)."""
    cpuinfo = _read("/proc/cpuinfo")
    return Machine(
        cpu_model=_cpu_model(cpuinfo),
        cpu_count=os.cpu_count() or 0,
        virtual=" hypervisor" in cpuinfo,
        memory_gib=_memory_gib(_read("/proc/meminfo")),
        os=_os_name(_read("/etc/os-release")),
        kernel=platform.release(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        libraries={name: _version(name) for name in LIBRARIES},
        servers=asyncio.run(_server_versions(rabbitmq_url)),
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or UNKNOWN


def _memory_gib(meminfo: str) -> float:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2  # the figure is in KiB
    return 0.0


def _os_name(os_release: str) -> str:
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key == "PRETTY_NAME":
            return value.strip().strip('"')
    return platform.system()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN


async def _server_versions(rabbitmq_url: str | None) -> dict[str, str]:
    tansu, rabbitmq, mariadb = await asyncio.gather(
        _probe(asyncio.to_thread(tansu_version)),
        _probe(rabbitmq_version(rabbitmq_url)),
        _probe(database_version()),
    )
    return {"Tansu": tansu, "RabbitMQ": rabbitmq, "MariaDB": mariadb}


async def _probe(version: Any) -> str:
    try:
        return str(await asyncio.wait_for(version, PROBE_TIMEOUT_S))
    except Exception as exc:  # a server that cannot say is only unknown
        return f"{UNKNOWN} ({type(exc).__name__})"


def tansu_version() -> str:
    done = subprocess.run(
        [str(tansu_binary()), "--version"],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=True,
    )
    return done.stdout.strip().removeprefix("tansu").strip() + " (in-memory)"


async def rabbitmq_version(url: str | None) -> str:
    connection = await aio_pika.connect(url or load_settings().rabbitmq.url)
    async with connection:
        transport = connection.transport
        assert transport is not None
        properties = transport.connection.server_properties
        version = properties.get("version", UNKNOWN)
        return version.decode() if isinstance(version, bytes) else str(version)


async def database_version() -> str:
    mysql = mysql_settings_for_tests()
    connection = await aiomysql.connect(
        host=mysql.host, port=mysql.port, user=mysql.user, password=mysql.password
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT VERSION()")
            row = await cursor.fetchone()
    finally:
        connection.close()
    with contextlib.suppress(TypeError, IndexError):
        return str(row[0])
    return UNKNOWN
