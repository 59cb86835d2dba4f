"""The outbox figures: relay throughput and commit-to-handler latency on both brokers."""

from __future__ import annotations

import functools

from shared.settings import RabbitMQSettings
from tests.bench.groups import Brokers, Step
from tests.bench.groups.outbox_latency import kafka_latency_figures, rabbitmq_latency_figures
from tests.bench.groups.outbox_relay import kafka_relay_figures, rabbitmq_relay_figures
from tests.support.mysql import mysql_settings_for_tests


def steps(brokers: Brokers, run_id: str) -> list[Step]:
    mysql = mysql_settings_for_tests()
    bootstrap, url = brokers.kafka_bootstrap, brokers.rabbitmq_url
    relay_rabbitmq = RabbitMQSettings(url=url, exchange=f"bench-{run_id}.relay")
    latency_rabbitmq = RabbitMQSettings(url=url, exchange=f"bench-{run_id}.latency")
    return [
        functools.partial(kafka_relay_figures, bootstrap, mysql, run_id),
        functools.partial(rabbitmq_relay_figures, relay_rabbitmq, mysql, run_id),
        functools.partial(kafka_latency_figures, bootstrap, mysql, run_id),
        functools.partial(rabbitmq_latency_figures, latency_rabbitmq, mysql, run_id),
    ]
