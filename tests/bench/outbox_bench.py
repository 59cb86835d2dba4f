"""The outbox figures: relay throughput and commit-to-handler latency on both brokers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.settings import RabbitMQSettings
from tests.bench.outbox_latency_bench import kafka_latency_figures, rabbitmq_latency_figures
from tests.bench.relay_bench import kafka_relay_figures, rabbitmq_relay_figures
from tests.bench.report import Figure
from tests.support.mysql import mysql_settings_for_tests

Step = Callable[[], Awaitable[list[Figure]]]


def steps(bootstrap: str, rabbitmq_url: str, run_id: str) -> list[Step]:
    """Run in order; each step's figures can be reported before the next starts."""
    mysql = mysql_settings_for_tests()
    relay_rabbitmq = RabbitMQSettings(url=rabbitmq_url, exchange=f"bench-{run_id}.relay")
    latency_rabbitmq = RabbitMQSettings(url=rabbitmq_url, exchange=f"bench-{run_id}.latency")

    async def relay_kafka() -> list[Figure]:
        return await kafka_relay_figures(bootstrap, mysql, run_id)

    async def relay_rabbitmq_step() -> list[Figure]:
        return await rabbitmq_relay_figures(relay_rabbitmq, mysql, run_id)

    async def latency_kafka() -> list[Figure]:
        return await kafka_latency_figures(bootstrap, mysql, run_id)

    async def latency_rabbitmq_step() -> list[Figure]:
        return await rabbitmq_latency_figures(latency_rabbitmq, mysql, run_id)

    return [relay_kafka, relay_rabbitmq_step, latency_kafka, latency_rabbitmq_step]
