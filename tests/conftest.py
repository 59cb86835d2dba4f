"""Servers every test layer shares: one Tansu broker per session, throwaway MySQL
databases with the platform tables (outbox, processed events) migrated. And the markers
``make test-unit`` leaves out (``mysql``, ``kafka``, ``rabbitmq``, ``podman``), set here
from the fixtures each test requests, directly or through other fixtures; a module that
reaches a server some other way (a subprocess, ``make run``) says so in ``pytestmark``.
A test with none of the markers that connects to MariaDB or RabbitMQ fails."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomysql
import pytest

from eda_local.tansu import running_tansu
from shared.db import migrate, platform_migrations
from shared.settings import BrokerKind
from tests.support.mysql import database_pool, mysql_settings_for_tests, throwaway_database

# Secured servers (TLS terminators, a MariaDB requiring TLS, a token endpoint), started
# only by the tests that ask for them.
pytest_plugins = ["tests.support.secured.fixtures"]


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kafka address: EDA_TEST_KAFKA_BOOTSTRAP if set, else a private Tansu on a free port."""
    configured = os.environ.get("EDA_TEST_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    log_path = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    with running_tansu(log_path=log_path) as address:
        yield address


@pytest.fixture
async def mysql_pool() -> AsyncIterator[aiomysql.Pool]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        await migrate(settings, database, platform_migrations())
        async with database_pool(settings, database) as pool:
            yield pool


# The fixtures that reach a server or podman, by the marker they give a test requesting
# them (pytest's fixture closure: requested through another fixture counts). The secured
# servers are tests/support/secured/fixtures.py's; tls_certs, token_endpoint and oidc run
# in the test's own process and mark nothing.
SERVER_FIXTURES: dict[str, frozenset[str]] = {
    "mysql": frozenset(
        {
            "mysql_pool",  # this file
            "mysql",  # tests/support/service_fixtures.py: a service's migrated database
            "mysql_tls",
            "mysql_service_users",
        }
    ),
    "kafka": frozenset(
        {"kafka_bootstrap", "kafka_tls", "kafka_mtls", "kafka_sasl", "kafka_sasl_tls"}
    ),
    "rabbitmq": frozenset({"rabbitmq_tls", "rabbitmq_management_tls", "rabbitmq_monitoring_user"}),
    "podman": frozenset({"podman_conf"}),  # tests/containers/conftest.py; image_tag needs it
}
# tests/contract/conftest.py's ``broker``: one run per broker, marked by the broker it is.
BROKER_MARKERS = {BrokerKind.KAFKA: "kafka", BrokerKind.RABBITMQ: "rabbitmq"}
# Folders whose every test takes seconds on its own: whole systems as processes (e2e),
# containers, and helm renders, image build stages and shell tools run per test (deploy).
SLOW_FOLDERS = ("e2e", "containers", "deploy")
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(TESTS).parts[0] in SLOW_FOLDERS:
            item.add_marker("slow")
        requested = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in SERVER_FIXTURES.items():
            if requested & fixtures:
                item.add_marker(marker)
        callspec = getattr(item, "callspec", None)
        broker = callspec.params.get("broker") if callspec is not None else None
        if isinstance(broker, BrokerKind):
            item.add_marker(BROKER_MARKERS[broker])


# The ports of the shared servers a test reaches in its own process. A test without a
# server marker that connects to one fails at once: the marker is missing.
SERVER_MARKERS = frozenset({"mysql", "kafka", "rabbitmq", "podman", "slow"})


def _server_ports() -> dict[int, str]:
    return {
        int(os.environ.get("EDA_TEST_MYSQL_PORT", "3306")): "mysql",
        5672: "rabbitmq",
        15672: "rabbitmq",
    }


@pytest.fixture(autouse=True)
def _unmarked_tests_reach_no_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if any(marker.name in SERVER_MARKERS for marker in request.node.iter_markers()):
        return
    ports = _server_ports()
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[1] in ports:
            pytest.fail(
                f"{request.node.nodeid} connects to {address[0]}:{address[1]} "
                f"without the {ports[address[1]]} marker (docs/testing.md)",
                pytrace=False,
            )
        connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
