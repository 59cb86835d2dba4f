"""user-service and order-service as processes, started as `make run` starts them,
on free ports with databases of their own (and Kafka for their outbox relays)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from eda_local.launcher import prepare
from eda_local.procfile import Layout, procfile
from eda_local.tansu import free_port
from shared.settings import load_settings
from tests.e2e.system import BIN, RunningSystem, stop_all
from tests.support.mysql import drop_databases, mysql_settings_for_tests

SERVICES = ("user-service", "order-service")


@contextlib.asynccontextmanager
async def running_services(kafka: str, log_dir: Path) -> AsyncIterator[RunningSystem]:
    mysql = mysql_settings_for_tests()
    unique = uuid.uuid4().hex[:8]
    layout = Layout(
        users_port=free_port(),
        orders_port=free_port(),
        users_database=f"t_{unique}_users",
        orders_database=f"t_{unique}_orders",
    )
    environment = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "EDA_DEFAULT_BROKER": "kafka",
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka,
        "EDA_KAFKA__TOPIC_PREFIX": f"cli{unique}.",
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_MYSQL__HOST": mysql.host,
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD": mysql.password,
        "EDA_OUTBOX__IDLE_POLL_S": "0.05",
        "OTEL_SDK_DISABLED": "true",
    }
    system = RunningSystem(layout, environment, log_dir)
    for line in procfile(layout).splitlines():
        name, command = line.split(": ", 1)
        if name in SERVICES:
            system.commands[name] = command
    try:
        await prepare(load_settings(mysql=mysql.model_dump()), layout)
        for name in SERVICES:
            await system.start(name)
        for name in SERVICES:
            await system.wait_ready(name)
        yield system
    finally:
        await stop_all(system)
        await drop_databases(mysql, layout.users_database, layout.orders_database)
