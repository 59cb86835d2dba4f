"""Open the dead-letter store of a subscriber on the broker that carries it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from eda_cli.dlq.kafka_store import KafkaDeadLetterStore
from eda_cli.dlq.rabbitmq_store import RabbitMQDeadLetterStore
from eda_cli.dlq.store import DeadLetterStore
from eda_cli.dlq.targets import Target
from shared.settings import BrokerKind, Settings


@contextlib.asynccontextmanager
async def open_store(settings: Settings, target: Target) -> AsyncIterator[DeadLetterStore]:
    store: KafkaDeadLetterStore | RabbitMQDeadLetterStore
    if target.broker is BrokerKind.KAFKA:
        store = KafkaDeadLetterStore(settings.kafka, target)
    else:
        store = RabbitMQDeadLetterStore(settings.rabbitmq, target)
    await store.start()
    try:
        yield store
    finally:
        await store.close()
