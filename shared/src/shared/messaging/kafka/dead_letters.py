"""Dead-letter topic per subscriber: the original bytes and key, the reason in headers."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from shared.messaging.dead_letter_record import dead_letter_headers
from shared.messaging.kafka.naming import dead_letter_topic_for
from shared.messaging.kafka.topics import TopicProvisioner
from shared.messaging.types import IncomingMessage, Subscription
from shared.settings import KafkaSettings


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
        headers = dead_letter_headers(self._subscription, message, reason, attempts)
        await self._producer.send_and_wait(
            self.topic,
            value=message.body,
            key=message.key,
            headers=[(name, value.encode()) for name, value in headers.items()],
        )
