from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import BrokerKind
from tests.contract.settings import contract_settings
from tests.support.brokers import HARNESSES
from tests.support.brokers.protocol import BrokerHarness


@pytest.fixture(params=[BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[BrokerHarness]:
    kind: BrokerKind = request.param
    # Tansu only for the Kafka runs: a RabbitMQ run neither starts nor needs it (and is
    # marked ``rabbitmq`` alone, see tests/conftest.py).
    kafka_bootstrap: str | None = (
        request.getfixturevalue("kafka_bootstrap") if kind is BrokerKind.KAFKA else None
    )
    harness = HARNESSES[kind](contract_settings(kind, kafka_bootstrap))
    try:
        yield harness
    finally:
        await harness.cleanup()
