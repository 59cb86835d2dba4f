"""Topic and group names derived from event types and subscribers."""

from __future__ import annotations

from shared import envelope
from shared.messaging.names import dead_letter_topic
from shared.settings import KafkaSettings

CONTENT_TYPE_HEADER = "content-type"
STRUCTURED_CONTENT_TYPE = envelope.STRUCTURED_CONTENT_TYPE.encode()


def topic_for(settings: KafkaSettings, event_type: str) -> str:
    return f"{settings.topic_prefix}{event_type}"


def group_for(settings: KafkaSettings, subscriber: str) -> str:
    return f"{settings.topic_prefix}{subscriber}"


def dead_letter_topic_for(settings: KafkaSettings, subscriber: str) -> str:
    return dead_letter_topic(group_for(settings, subscriber))
