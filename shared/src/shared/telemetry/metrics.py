"""Prometheus metrics of every process, on the default registry (``/metrics``).

Label sets stay small and bounded: event types and subscriber names come from the
registry and the catalogue, never from message content."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "eda_events_published",
    "Events the broker confirmed, by event type and broker.",
    ["event_type", "broker"],
)
EVENTS_CONSUMED = Counter(
    "eda_events_consumed",
    "Events taken off the broker that reached an outcome (handled or dead-lettered).",
    ["event_type", "subscriber"],
)
EVENTS_RETRIED = Counter(
    "eda_events_retried",
    "Handler attempts that failed and were retried.",
    ["event_type", "subscriber"],
)
EVENTS_DEAD_LETTERED = Counter(
    "eda_events_dead_lettered",
    "Messages sent to the subscriber's dead-letter destination.",
    ["event_type", "subscriber"],
)
EVENTS_DUPLICATE = Counter(
    "eda_events_duplicates",
    "Deliveries of events this subscriber had already processed: acknowledged, no effect.",
    ["event_type", "subscriber"],
)
HANDLER_DURATION = Histogram(
    "eda_handler_duration_seconds",
    "Time of one successful handler call (one event, or one run with a batch handler).",
    ["event_type", "subscriber"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_BACKLOG = Gauge(
    "eda_outbox_backlog",
    "Outbox rows committed but not yet published, by database.",
    ["database"],
)
KAFKA_CONSUMER_LAG = Gauge(
    "eda_kafka_consumer_lag",
    "Messages in the subscriber's assigned partitions past its committed offsets.",
    ["subscriber", "topic"],
)
RABBITMQ_QUEUE_DEPTH = Gauge(
    "eda_rabbitmq_queue_depth",
    "Messages ready in the subscriber's queue.",
    ["subscriber", "queue"],
)


def count_published(event_types: Sequence[str], broker: str) -> None:
    """Count a confirmed publish call: one increment per event type in it."""
    first = event_types[0] if event_types else None
    if first is not None and all(event_type == first for event_type in event_types):
        EVENTS_PUBLISHED.labels(first, broker).inc(len(event_types))
        return
    for event_type in event_types:
        EVENTS_PUBLISHED.labels(event_type, broker).inc()
