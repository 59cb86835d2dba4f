"""The metadata attached to a dead-lettered message, as broker headers."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.messaging.protocols import IncomingMessage, Subscription

REASON = "x-dead-letter-reason"
ATTEMPTS = "x-dead-letter-attempts"
ORIGIN = "x-dead-letter-origin"
SUBSCRIBER = "x-dead-letter-subscriber"
EVENT_TYPE = "x-dead-letter-event-type"
FAILED_AT = "x-dead-letter-failed-at"


def dead_letter_headers(
    subscription: Subscription, message: IncomingMessage, reason: str, attempts: int
) -> dict[str, str]:
    return {
        REASON: reason,
        ATTEMPTS: str(attempts),
        ORIGIN: message.origin,
        SUBSCRIBER: subscription.subscriber,
        EVENT_TYPE: subscription.event_type,
        FAILED_AT: datetime.now(UTC).isoformat(),
    }
