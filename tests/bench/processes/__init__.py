"""The processes the benchmarks start: an outbox relay, a subscriber, order-service, an
OTLP sink and the ``POST /orders`` load, each a ``python -m`` of its own so that its CPU
is not the measuring process's."""
