from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import BrokerKind
from tests.contract.harness import BrokerHarness, harness_settings


@pytest.fixture(params=[BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def broker(
    request: pytest.FixtureRequest, kafka_bootstrap: str
) -> AsyncIterator[BrokerHarness]:
    kind: BrokerKind = request.param
    harness = BrokerHarness(kind, harness_settings(kind, kafka_bootstrap))
    try:
        yield harness
    finally:
        await harness.cleanup()
