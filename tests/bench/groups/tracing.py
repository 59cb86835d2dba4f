"""What tracing costs: the shared Kafka publisher and subscriber with tracing off and
on (always-on sampling, batch export over OTLP/HTTP to a sink in another process),
and FastStream's subscriber without and with its OpenTelemetry middleware."""

from __future__ import annotations

import contextlib
import functools
import logging
import subprocess
import sys
from collections.abc import Iterator

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from eda_local.tansu import free_port, wait_for_port
from shared.messaging import topic_for
from shared.messaging.kafka import KafkaPublisher
from shared.settings import Settings
from shared.telemetry.tracing import use_tracer_provider
from tests.bench.figure import Figure, comparison
from tests.bench.groups import Brokers, Step
from tests.bench.groups.messaging_kafka import (
    CONSUME_COUNT,
    MAX_POLL_RECORDS,
    PUBLISH_CHUNK,
    PUBLISH_COUNT,
    bench_settings,
    consume_with_faststream,
    publish_with_shared,
)
from tests.bench.measure.rounds import side_by_side
from tests.bench.measure.shared_rates import consume_with_shared
from tests.support.event_payloads import (
    order_placed_envelopes,
    publish_in_chunks,
    warm_up_and_timed,
)

log = logging.getLogger("bench")

ROUNDS = 5


@contextlib.contextmanager
def otlp_sink() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.bench.processes.otlp_sink", str(port)])
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def exporting_provider(endpoint: str) -> TracerProvider:
    provider = TracerProvider(
        sampler=ALWAYS_ON, resource=Resource.create({"service.name": "bench"})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
    return provider


async def run(bootstrap: str, run_id: str) -> list[Figure]:
    with otlp_sink() as endpoint:
        provider = exporting_provider(endpoint)
        try:
            return [
                *await _publish_figures(bootstrap, run_id, provider),
                *await _consume_figures(bootstrap, run_id, provider),
            ]
        finally:
            use_tracer_provider(None)
            provider.shutdown()


async def _publish_figures(bootstrap: str, run_id: str, provider: TracerProvider) -> list[Figure]:
    settings = bench_settings(bootstrap, f"bench-{run_id}.trace-publish.")
    envelopes = order_placed_envelopes(PUBLISH_COUNT + PUBLISH_CHUNK, seed=3)
    warm_up, timed = warm_up_and_timed(envelopes, PUBLISH_CHUNK)
    log.info("tracing cost, kafka publish: %d envelopes, tracing off and on", len(timed))

    async def off(_: int) -> float:
        use_tracer_provider(None)
        return await publish_with_shared(settings, warm_up, timed)

    async def on(_: int) -> float:
        use_tracer_provider(provider)
        try:
            return await publish_with_shared(settings, warm_up, timed)
        finally:
            use_tracer_provider(None)
            provider.force_flush()

    rates = await side_by_side({"off": off, "on": on}, ROUNDS)
    return [
        comparison(
            "tracing.kafka.publish.shared.on",
            rates["on"],
            "tracing.kafka.publish.shared.off",
            rates["off"],
        )
    ]


async def _consume_figures(bootstrap: str, run_id: str, provider: TracerProvider) -> list[Figure]:
    settings = bench_settings(bootstrap, f"bench-{run_id}.trace-consume.")
    await _fill_traced(settings, provider)
    topic = topic_for(settings.kafka, "order.placed")
    log.info("tracing cost, kafka consume: %d traced messages", CONSUME_COUNT)

    async def shared_off(round_number: int) -> float:
        use_tracer_provider(None)
        return await consume_with_shared(settings, f"off-{round_number}", CONSUME_COUNT)

    async def shared_on(round_number: int) -> float:
        use_tracer_provider(provider)
        try:
            return await consume_with_shared(settings, f"on-{round_number}", CONSUME_COUNT)
        finally:
            use_tracer_provider(None)
            provider.force_flush()

    async def faststream_off(round_number: int) -> float:
        group = f"{settings.kafka.topic_prefix}fs-off-{round_number}"
        return await _consume_with_faststream(bootstrap, topic, group, None)

    async def faststream_on(round_number: int) -> float:
        group = f"{settings.kafka.topic_prefix}fs-on-{round_number}"
        try:
            return await _consume_with_faststream(bootstrap, topic, group, provider)
        finally:
            provider.force_flush()

    rates = await side_by_side(
        {
            "shared_off": shared_off,
            "shared_on": shared_on,
            "faststream_off": faststream_off,
            "faststream_on": faststream_on,
        },
        ROUNDS,
    )
    return [
        comparison(
            "tracing.kafka.consume.shared.on",
            rates["shared_on"],
            "tracing.kafka.consume.shared.off",
            rates["shared_off"],
        ),
        comparison(
            "tracing.kafka.consume.faststream.on",
            rates["faststream_on"],
            "tracing.kafka.consume.faststream.off",
            rates["faststream_off"],
        ),
    ]


async def _fill_traced(settings: Settings, provider: TracerProvider) -> None:
    """Messages as a traced publisher sends them: each carries a trace context."""
    use_tracer_provider(provider)
    try:
        envelopes = order_placed_envelopes(CONSUME_COUNT, seed=4)
        await publish_in_chunks(KafkaPublisher(settings.kafka), envelopes, MAX_POLL_RECORDS)
    finally:
        use_tracer_provider(None)
        provider.force_flush()


async def _consume_with_faststream(
    bootstrap: str, topic: str, group: str, provider: TracerProvider | None
) -> float:
    middlewares = [KafkaTelemetryMiddleware(tracer_provider=provider)] if provider else []
    return await consume_with_faststream(bootstrap, topic, group, CONSUME_COUNT, middlewares)


def steps(brokers: Brokers, run_id: str) -> list[Step]:
    return [functools.partial(run, brokers.kafka_bootstrap, run_id)]
