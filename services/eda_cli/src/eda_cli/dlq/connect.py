"""Open the dead-letter store of a subscriber, and the audit record, on the broker
that carries it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from eda_cli.dlq.audit import AuditLog, Auditor
from eda_cli.dlq.audit_kafka import KafkaAuditLog
from eda_cli.dlq.audit_rabbitmq import RabbitMQAuditLog
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


@contextlib.asynccontextmanager
async def open_audit(settings: Settings, broker: BrokerKind, actor: str) -> AsyncIterator[Auditor]:
    """The audit record on ``broker``; it connects when the first entry is written."""
    log: AuditLog
    if broker is BrokerKind.KAFKA:
        log = KafkaAuditLog(settings.kafka)
        principal = settings.kafka.sasl_username or settings.kafka.sasl_oauthbearer_client_id
    else:
        log = RabbitMQAuditLog(settings.rabbitmq)
        principal = urlsplit(settings.rabbitmq.url).username
    try:
        yield Auditor(log, actor, broker, principal)
    finally:
        await log.close()
