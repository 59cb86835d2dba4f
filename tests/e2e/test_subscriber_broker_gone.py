"""A subscriber whose Kafka went away just before it was told to stop exits 0 with
one warning, not pages of retries and a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

from eda_local.tansu import free_port, running_tansu
from order_service.config import SERVICE as ORDER_SERVICE
from shared.service import migrate_database
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.polling import eventually

# A subscriber process on a throwaway database and a Tansu of its own.
pytestmark = [pytest.mark.mysql, pytest.mark.kafka]

BIN = Path(sys.executable).parent


async def test_a_subscriber_stopping_without_its_broker_logs_one_warning(tmp_path: Path) -> None:
    mysql = mysql_settings_for_tests()
    log_path = tmp_path / "subscriber.log"
    async with throwaway_database(mysql) as database:
        await migrate_database(ORDER_SERVICE, mysql.model_copy(update={"database": database}))
        with running_tansu() as kafka, log_path.open("wb") as log:
            subscriber = await asyncio.create_subprocess_exec(
                str(BIN / "subscriber"),
                "order.placed",
                "--port",
                str(free_port()),
                env={
                    **os.environ,
                    "EDA_LOG_FORMAT": "console",
                    "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka,
                    "EDA_KAFKA__TOPIC_PREFIX": f"gone{uuid.uuid4().hex[:8]}.",
                    "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
                    "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
                    "EDA_MYSQL__DATABASE": database,
                },
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                await eventually(
                    lambda: " ready: order.placed from Kafka" in log_path.read_text(),
                    timeout=60,
                    what="the subscriber ready",
                )
            except BaseException:
                subscriber.kill()
                await subscriber.wait()
                raise
        # The broker is gone (the context above stopped it): now the subscriber stops.
        subscriber.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(subscriber.wait(), timeout=60)
    output = log_path.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert output.count("stopped without the broker") == 1, output
