"""The smoke test's API and trace checks, against `make run`'s launcher with every
process exporting to a test OTLP collector: the same flow and the same trace check
`make smoke` runs on a cluster, there against Jaeger."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from eda_local.tansu import free_port, free_port_block
from subscribers.catalog import SUBSCRIBERS
from tests.e2e.local_run import Ports, launched
from tests.smoke.flow import place_orders
from tests.smoke.traces import Span, TraceContext, problems
from tests.support.mysql import drop_databases, mysql_settings_for_tests
from tests.support.otlp_collector import Collector, running_collector
from tests.support.polling import eventually


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    async with running_collector() as running:
        yield running


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    unique = f"t_{uuid.uuid4().hex[:8]}_"
    yield unique
    await drop_databases(mysql_settings_for_tests(), f"{unique}users", f"{unique}orders")


@pytest.mark.mysql
@pytest.mark.kafka
@pytest.mark.rabbitmq
@pytest.mark.slow
async def test_the_smoke_checks_pass_against_make_run(
    collector: Collector, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    ports = Ports(
        users=free_port(),
        orders=free_port(),
        kafka=free_port(),
        first_subscriber=free_port_block(len(SUBSCRIBERS)),
    )
    async with launched(ports, prefix, tmp_path / "run.log") as launcher:
        await launcher.wait_ready()
        async with httpx.AsyncClient(timeout=10) as client:
            traced = await place_orders(client, launcher.users_url, launcher.orders_url)

        def spans() -> list[Span]:
            return [
                Span(s.service, s.name, s.span_id, s.parent_id)
                for s in collector.trace(traced.trace_id)
            ]

        await eventually(
            lambda: not problems(spans(), traced),
            timeout=30,
            what=lambda: f"a whole trace ({'; '.join(problems(spans(), traced))})",
        )
        launcher.ctrl_c()
        assert await launcher.exit_code() == 0, launcher.output()[-3000:]


def test_a_trace_missing_a_subscriber_is_named() -> None:
    """The check fails where it must: without the last subscriber's spans."""
    caller = TraceContext.new()
    spans = [
        Span("order-service", "POST /orders", "a1", caller.span_id),
        Span("orders.order-placed", "order.placed process", "b2", "a1"),
    ]
    (problem,) = problems(spans, caller)
    assert "users.order-confirmed" in problem
