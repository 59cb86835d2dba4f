"""The Jaeger half of the smoke test's trace check, against an answer of Jaeger's query
API served locally. answers/jaeger-trace.json is one order's trace as
`GET /api/v3/traces/{id}` of jaegertracing/jaeger 2.20 shapes it (no Jaeger runs on
these machines, so it is written to that OTLP JSON model, after the API's own
snapshot, not captured): one resourceSpans entry per service, named by its
service.name attribute, spans grouped by instrumentation scope, hex ids, parents in
parentSpanId, the caller's span referenced but absent; an unknown trace is a 404
with an `error` object."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.smoke.jaeger import fetch_trace
from tests.smoke.traces import TraceContext, problems

ANSWER = Path(__file__).parent / "answers" / "jaeger-trace.json"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER = TraceContext(TRACE_ID, "b7ad6b7169203331")


def recorded() -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(ANSWER.read_text())
    return answer


@pytest.fixture
async def jaeger() -> AsyncIterator[tuple[str, dict[str, dict[str, Any]]]]:
    """A query API serving the answers it is given, by trace id; 404 otherwise, as Jaeger."""
    answers: dict[str, dict[str, Any]] = {}

    async def trace(request: web.Request) -> web.Response:
        answer = answers.get(request.match_info["trace_id"])
        if answer is None:
            return web.json_response(
                {"error": {"httpCode": 404, "message": "No traces found"}}, status=404
            )
        return web.json_response(answer)

    app = web.Application()
    app.router.add_get("/api/v3/traces/{trace_id}", trace)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", answers
    finally:
        await runner.cleanup()


async def test_the_recorded_trace_spans_order_service_and_both_subscribers(
    jaeger: tuple[str, dict[str, dict[str, Any]]],
) -> None:
    url, answers = jaeger
    answers[TRACE_ID] = recorded()
    async with httpx.AsyncClient() as client:
        spans = await fetch_trace(client, url, TRACE_ID)
    assert len(spans) == 10
    assert {s.service for s in spans} == {
        "order-service", "orders.order-placed", "users.order-confirmed",
    }  # fmt: skip
    assert problems(spans, CALLER) == []


async def test_a_trace_jaeger_does_not_know_yet_has_no_spans(
    jaeger: tuple[str, dict[str, dict[str, Any]]],
) -> None:
    url, _ = jaeger
    async with httpx.AsyncClient() as client:
        assert await fetch_trace(client, url, TRACE_ID) == []


async def test_a_trace_cut_between_processes_is_named(
    jaeger: tuple[str, dict[str, dict[str, Any]]],
) -> None:
    """The last subscriber's consumer span lost its parent, as when a process does not
    pass the context on."""
    url, answers = jaeger
    cut = copy.deepcopy(recorded())
    (consumer,) = [
        span
        for resource in cut["result"]["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
        if span["name"] == "order.confirmed process"
    ]
    consumer["parentSpanId"] = "00000000deadbeef"
    answers[TRACE_ID] = cut
    async with httpx.AsyncClient() as client:
        spans = await fetch_trace(client, url, TRACE_ID)
    (problem,) = problems(spans, CALLER)
    assert "parent is missing" in problem
