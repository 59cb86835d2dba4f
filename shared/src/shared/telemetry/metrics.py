"""Prometheus metrics of every process, on the default registry (``/metrics``).

Label sets stay small and bounded: event types and subscriber names come from the
registry and the catalogue, never from message content; HTTP requests are labelled by
route template, standard method and status code, never by path or header
(``shared.http.request_metrics``)."""

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
OUTBOX_OLDEST_AGE = Gauge(
    "eda_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none), by database.",
    ["database"],
)
OUTBOX_RELAY_IDLE = Gauge(
    "eda_outbox_relay_idle_seconds",
    "Seconds since this process's relay last published while rows are pending"
    " (0 when none are), by database.",
    ["database"],
)
SUBSCRIBER_BACKLOG = Gauge(
    "eda_subscriber_backlog",
    "Events waiting for the subscriber as this process sees them: on Kafka its"
    " partitions' lag, held records included; on RabbitMQ the queue's ready messages"
    " plus those delivered to this process and not yet acknowledged.",
    ["subscriber"],
)
SUBSCRIBER_IDLE = Gauge(
    "eda_subscriber_idle_seconds",
    "Seconds since the subscriber last completed an event while its backlog is above"
    " zero (0 when it is zero).",
    ["subscriber"],
)
BUILD_INFO = Gauge(
    "eda_build_info",
    "Always 1; the labels name the process's service and its version.",
    ["service", "version"],
)
HTTP_SERVER_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests (OpenTelemetry HTTP semantic conventions).",
    ["service", "http_request_method", "http_route", "http_response_status_code"],
    # The OpenTelemetry default buckets for http.server.request.duration.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10),
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
