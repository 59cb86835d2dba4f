"""Where a subscriber's messages come from, and whether a dead letter says the same.

A replay goes to the subscriber's own source, derived from the subscriber named on
the command line and the routing settings, never from the dead letter: anyone who
can write to a dead-letter topic or queue can write any header. A dead letter whose
``x-dead-letter-origin`` (or, on RabbitMQ, ``x-death``) names another source, or
none, is refused and stays where it is.

- Kafka: the topic ``<prefix><event type>``; origins read ``<topic>/<partition>@<offset>``.
- RabbitMQ: the queue ``<queue prefix><subscriber>``; it is fed through the events
  exchange with the event type as routing key (``<exchange>/<event type>``) and, after
  a replay, through the default exchange (``/<queue>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eda_cli.dlq.records import DeadLetter
from eda_cli.dlq.targets import Target
from shared.messaging import queue_name, topic_for
from shared.settings import BrokerKind, Settings

_KAFKA_POSITION = re.compile(r"\d+@\d+")


@dataclass(frozen=True, slots=True)
class Source:
    """The one place a subscriber consumes from: where its replays go."""

    kind: BrokerKind
    name: str
    """The topic (Kafka) or queue (RabbitMQ)."""
    origins: tuple[str, ...]
    """The origins a dead letter of this subscriber can record (RabbitMQ), exactly."""

    def __str__(self) -> str:
        return f"{'topic' if self.kind is BrokerKind.KAFKA else 'queue'} {self.name}"

    def refusal(self, letter: DeadLetter) -> str | None:
        """Why the dead letter must not be replayed here, or None."""
        origin = letter.origin
        if not origin:
            return f"it records no origin; the subscriber's source is {self}"
        if self._matches(origin):
            return None
        return f"its recorded origin {origin} is not the subscriber's source, {self}"

    def _matches(self, origin: str) -> bool:
        if self.kind is BrokerKind.KAFKA:
            topic, _, position = origin.rpartition("/")
            return topic == self.name and _KAFKA_POSITION.fullmatch(position) is not None
        return origin in self.origins


def source_of(settings: Settings, target: Target) -> Source:
    if target.broker is BrokerKind.KAFKA:
        return Source(BrokerKind.KAFKA, topic_for(settings.kafka, target.event_type), ())
    queue = queue_name(settings.rabbitmq, target.subscriber)
    origins = (f"{settings.rabbitmq.exchange}/{target.event_type}", f"/{queue}")
    return Source(BrokerKind.RABBITMQ, queue, origins)
