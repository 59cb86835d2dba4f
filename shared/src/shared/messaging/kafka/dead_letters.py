"""Dead-letter topic per subscriber: the original bytes, key, content type and trace
headers, the reason in headers of its own."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from shared.messaging.dead_letter_record import dead_letter_headers
from shared.messaging.kafka.publisher import CONTENT_TYPE_HEADER
from shared.messaging.kafka.topology import TopicProvisioner
from shared.messaging.names import dead_letter_topic_for
from shared.messaging.protocols import IncomingMessage, Subscription
from shared.settings import KafkaSettings
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

_CARRIED = frozenset({CONTENT_TYPE_HEADER, TRACEPARENT, TRACESTATE})


class KafkaDeadLetters:
    def __init__(
        self,
        settings: KafkaSettings,
        subscription: Subscription,
        producer: AIOKafkaProducer,
        topics: TopicProvisioner,
    ) -> None:
        self._subscription = subscription
        self._producer = producer
        self._topics = topics
        self.topic = dead_letter_topic_for(settings, subscription.subscriber)

    async def ensure_topic(self) -> None:
        await self._topics.ensure({self.topic}, partitions=1)

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        record = dead_letter_headers(self._subscription, message, reason, attempts)
        original = getattr(message.raw, "headers", None) or ()
        headers = [(name, value) for name, value in original if name in _CARRIED]
        headers += [(name, value.encode()) for name, value in record.items()]
        await self._producer.send_and_wait(
            self.topic, value=message.body, key=message.key, headers=headers
        )
