"""One trace from the HTTP request to the last subscriber, and metrics that move, on
the system run as processes exporting to a test OTLP collector, on Kafka and on
RabbitMQ."""

from __future__ import annotations

import functools
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.system import RunningSystem, running_system
from tests.support.orders import one_item_order
from tests.support.otlp_collector import Collector, ReceivedSpan, running_collector
from tests.support.polling import eventually
from tests.support.users import register_user

# The whole system as processes: MariaDB, RabbitMQ and a Tansu of its own.
pytestmark = [pytest.mark.mysql, pytest.mark.rabbitmq, pytest.mark.asyncio(loop_scope="module")]

CLIENT_SERVICE = "e2e-client"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def collector() -> AsyncIterator[Collector]:
    async with running_collector() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["kafka", "rabbitmq"])
async def system(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    collector: Collector,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningSystem]:
    log_dir = tmp_path_factory.mktemp(f"telemetry-{request.param}")
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_TRACES_SAMPLER": "always_on",
        "EDA_LOG_FORMAT": "json",
    }
    async with running_system(request.param, kafka_bootstrap, log_dir, tracing) as running:
        yield running


@pytest.fixture(scope="module")
def client_tracer(collector: Collector) -> Iterator[TracerProvider]:
    """The caller's side: a client span whose context goes with the request."""
    provider = TracerProvider(resource=Resource.create({"service.name": CLIENT_SERVICE}))
    # Batch export runs in a thread: a synchronous export from the event loop would
    # wait for the collector, which answers on that same loop.
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{collector.url}/v1/traces"), schedule_delay_millis=100
        )
    )
    yield provider
    provider.shutdown()


async def _register(client: httpx.AsyncClient, system: RunningSystem) -> str:
    email = f"t{random.randrange(10**9)}@example.com"
    return await register_user(client, system.users_url, email, "T")


async def _order_status(client: httpx.AsyncClient, system: RunningSystem, order_id: str) -> str:
    return str((await client.get(f"{system.orders_url}/orders/{order_id}")).json()["status"])


async def _projected(system: RunningSystem, user_id: str) -> bool:
    return await system.customer_active(user_id) is True


async def test_one_trace_covers_the_request_the_relay_and_both_subscribers(
    system: RunningSystem, collector: Collector, client_tracer: TracerProvider
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        user_id = await _register(client, system)
        await eventually(functools.partial(_projected, system, user_id), timeout=30)
        tracer = client_tracer.get_tracer("e2e")
        with tracer.start_as_current_span("place order", kind=SpanKind.CLIENT) as root:
            headers: dict[str, str] = {}
            from opentelemetry.propagate import inject  # noqa: PLC0415

            inject(headers)
            response = await client.post(
                f"{system.orders_url}/orders",
                json=one_item_order(user_id, sku="book", quantity=1, unit_price="5.00"),
                headers=headers,
            )
        assert response.status_code == 202, response.text
        order_id = str(response.json()["id"])
        trace_id = f"{root.get_span_context().trace_id:032x}"

        async def confirmed() -> bool:
            return await _order_status(client, system, order_id) == "confirmed"

        await eventually(confirmed, timeout=30, what="the order confirmed")

    def complete() -> bool:
        # A PRODUCER span ends at the broker's confirm, which can come after the
        # consumer's spans were exported: wait until no span misses its parent.
        spans = collector.trace(trace_id)
        return (
            _has(spans, CLIENT_SERVICE, "CLIENT", "place order")
            and _has(spans, "users.order-confirmed", "INTERNAL", "handle order.confirmed")
            and not _orphans(spans)
        )

    await eventually(complete, timeout=30, what="the order.confirmed handler span exported")
    spans = collector.trace(trace_id)
    print(f"trace {trace_id}: {len(spans)} spans from {sorted({s.service for s in spans})}")

    # Every parent is in the trace: nothing was cut between processes.
    assert not _orphans(spans)
    assert len({span.service for span in spans}) >= 4

    server = _one(spans, "order-service", "SERVER", "POST /orders")
    assert server.parent_id == root.get_span_context().span_id.to_bytes(8, "big").hex()
    assert any(s.service == "order-service" and s.kind == "CLIENT" for s in spans), "no SQL span"
    assert any(
        s.attributes.get("db.system.name") == "mysql" and s.parent_id == server.span_id
        for s in spans
    ), "no SQL span under the request"
    outbox = _one(spans, "order-service", "INTERNAL", "outbox write")
    placed_send = _single(
        s for s in spans if s.kind == "PRODUCER" and s.name.endswith("order.placed")
    )
    # Relayed by order-service or by a subscriber on the orders database: either
    # continues the context stored with the row.
    assert placed_send.service == "order-service" or placed_send.service.startswith("orders.")
    assert placed_send.parent_id == outbox.span_id  # the relay continues the stored context
    placed_process = _one(spans, "orders.order-placed", "CONSUMER", None)
    assert placed_process.parent_id == placed_send.span_id
    assert placed_process.attributes["messaging.consumer.group.name"] == "orders.order-placed"
    assert (
        placed_process.attributes["messaging.message.id"]
        == placed_send.attributes["messaging.message.id"]
    )
    assert placed_process.attributes["messaging.system"] == system.environment["EDA_DEFAULT_BROKER"]
    placed_handler = _one(spans, "orders.order-placed", "INTERNAL", "handle order.placed")
    assert placed_handler.parent_id == placed_process.span_id
    confirmed_write = _single(
        s for s in spans if s.name == "outbox write" and s.parent_id == placed_handler.span_id
    )
    confirmed_send = _single(
        s for s in spans if s.kind == "PRODUCER" and s.name.endswith("order.confirmed")
    )
    assert confirmed_send.parent_id == confirmed_write.span_id
    confirmed_process = _one(spans, "users.order-confirmed", "CONSUMER", None)
    assert confirmed_process.parent_id == confirmed_send.span_id
    confirmed_handler = _one(spans, "users.order-confirmed", "INTERNAL", "handle order.confirmed")
    assert confirmed_handler.parent_id == confirmed_process.span_id


def _orphans(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    ids = {span.span_id for span in spans}
    return [span for span in spans if span.parent_id and span.parent_id not in ids]


def _has(spans: list[ReceivedSpan], service: str, kind: str, name: str | None) -> bool:
    return any(
        s.service == service and s.kind == kind and (name is None or s.name == name) for s in spans
    )


def _one(spans: list[ReceivedSpan], service: str, kind: str, name: str | None) -> ReceivedSpan:
    return _single(
        s
        for s in spans
        if s.service == service and s.kind == kind and (name is None or s.name == name)
    )


def _single(candidates: Iterable[ReceivedSpan]) -> ReceivedSpan:
    found = list(candidates)
    assert len(found) == 1, f"expected one span, found {found}"
    return found[0]


async def _scrape(client: httpx.AsyncClient, url: str) -> dict[tuple[str, frozenset[Any]], float]:
    response = await client.get(f"{url}/metrics")
    assert response.status_code == 200
    samples: dict[tuple[str, frozenset[Any]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_move_with_the_flow(system: RunningSystem) -> None:
    broker = system.environment["EDA_DEFAULT_BROKER"]
    placed = {"event_type": "order.placed", "subscriber": "orders.order-placed"}
    orders_url = system.orders_url
    placed_url = system.health_url("order-placed")
    confirmed_url = system.health_url("order-confirmed")
    async with httpx.AsyncClient(timeout=10) as client:
        before_published = await _published_everywhere(client, system)
        before_placed = await _scrape(client, placed_url)
        before_confirmed = await _scrape(client, confirmed_url)

        user_id = await _register(client, system)
        await eventually(functools.partial(_projected, system, user_id), timeout=30)
        orders = []
        for _ in range(3):
            response = await client.post(
                f"{orders_url}/orders",
                json=one_item_order(user_id, sku="pen", quantity=2, unit_price="1.50"),
            )
            assert response.status_code == 202
            orders.append(response.json()["id"])
        # An order of a user nobody registered is retried, then rejected.
        unknown = await client.post(
            f"{orders_url}/orders",
            json=one_item_order(
                "00000000-0000-4000-8000-000000000001", sku="pen", quantity=1, unit_price="1.50"
            ),
        )
        assert unknown.status_code == 202
        await _send_malformed(system)

        async def settled() -> bool:
            statuses = [await _order_status(client, system, order) for order in orders]
            rejected = await _order_status(client, system, unknown.json()["id"])
            return statuses == ["confirmed"] * 3 and rejected == "rejected"

        await eventually(settled, timeout=60, what="orders settled")

        async def counted() -> bool:
            after = await _scrape(client, placed_url)
            consumed = _value(after, "eda_events_consumed_total", **placed) - _value(
                before_placed, "eda_events_consumed_total", **placed
            )
            return consumed >= 5  # 3 confirmed, 1 rejected, 1 malformed

        await eventually(counted, timeout=30, what="order.placed consumption counted")

        async def all_published() -> bool:
            # A publish is counted once its confirm is back: maybe after the consumer ran.
            return await _published_everywhere(client, system) - before_published >= 4

        await eventually(all_published, timeout=15, what="order.placed publishes counted")
        after_orders = await _scrape(client, orders_url)
        after_placed = await _scrape(client, placed_url)
        after_confirmed = await _scrape(client, confirmed_url)

    dead = _value(after_placed, "eda_events_dead_lettered_total", **placed) - _value(
        before_placed, "eda_events_dead_lettered_total", **placed
    )
    assert dead == 1
    assert _value(after_placed, "eda_events_retried_total", **placed) > _value(
        before_placed, "eda_events_retried_total", **placed
    )
    handled = _value(after_placed, "eda_handler_duration_seconds_count", **placed) - _value(
        before_placed, "eda_handler_duration_seconds_count", **placed
    )
    # One observation per handler call: orders delivered together are one call (a run
    # handled together), and a busy machine delivers them together more often.
    assert handled >= 2  # the confirmations in one call at least, the rejection in another
    confirmed = {"event_type": "order.confirmed", "subscriber": "users.order-confirmed"}
    assert (
        _value(after_confirmed, "eda_events_consumed_total", **confirmed)
        - _value(before_confirmed, "eda_events_consumed_total", **confirmed)
        >= 3
    )
    backlogs = [key for key in after_orders if key[0] == "eda_outbox_backlog"]
    assert backlogs, "no outbox backlog gauge on order-service"
    if broker == "kafka":
        lag = [key for key in after_placed if key[0] == "eda_kafka_consumer_lag"]
        assert lag, "no consumer lag gauge"

        async def caught_up() -> bool:
            async with httpx.AsyncClient(timeout=10) as client:
                return (await _scrape(client, placed_url)).get(lag[0]) == 0

        await eventually(caught_up, timeout=15, what="consumer lag back to 0")
    else:
        depth = [key for key in after_placed if key[0] == "eda_rabbitmq_queue_depth"]
        assert depth, "no queue depth gauge"


async def _published_everywhere(client: httpx.AsyncClient, system: RunningSystem) -> float:
    broker = system.environment["EDA_DEFAULT_BROKER"]
    total = 0.0
    for name in system.commands:
        samples = await _scrape(client, system.health_url(name))
        total += _value(
            samples, "eda_events_published_total", event_type="order.placed", broker=broker
        )
    return total


async def _send_malformed(system: RunningSystem) -> None:
    """Bytes that are no CloudEvent, straight onto order.placed's topic or exchange."""
    environment = system.environment
    if environment["EDA_DEFAULT_BROKER"] == "kafka":
        producer = AIOKafkaProducer(bootstrap_servers=environment["EDA_KAFKA__BOOTSTRAP_SERVERS"])
        await producer.start()
        try:
            topic = f"{environment['EDA_KAFKA__TOPIC_PREFIX']}order.placed"
            await producer.send_and_wait(topic, b"not json", key=b"malformed")
        finally:
            await producer.stop()
        return
    connection = await aio_pika.connect(environment.get("EDA_RABBITMQ__URL", _DEFAULT_AMQP))
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(environment["EDA_RABBITMQ__EXCHANGE"])
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="order.placed")


_DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
