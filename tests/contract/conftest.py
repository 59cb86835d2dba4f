from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import BrokerKind
from tests.contract.settings import contract_settings
from tests.support.brokers import HARNESSES
from tests.support.brokers.protocol import BrokerHarness


@pytest.fixture(params=[BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def broker(
    request: pytest.FixtureRequest, kafka_bootstrap: str
) -> AsyncIterator[BrokerHarness]:
    kind: BrokerKind = request.param
    harness = HARNESSES[kind](contract_settings(kind, kafka_bootstrap))
    try:
        yield harness
    finally:
        await harness.cleanup()
