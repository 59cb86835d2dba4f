"""One trace from Jaeger's query API as the smoke test's spans: `GET /api/v3/traces/{trace
id}`, the API Jaeger v2 calls stable, answering OTLP JSON. (The `/api/traces` JSON the
UI reads is Jaeger's internal API, undocumented and already cut down after 2.20.)"""

from __future__ import annotations

from typing import Any

import httpx

from tests.smoke.traces import Span


async def fetch_trace(client: httpx.AsyncClient, query_url: str, trace_id: str) -> list[Span]:
    """The trace's spans; none while Jaeger does not know it yet (404)."""
    response = await client.get(f"{query_url.rstrip('/')}/api/v3/traces/{trace_id}")
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return parse(response.json(), trace_id)


def parse(answer: dict[str, Any], trace_id: str) -> list[Span]:
    """The spans of `{"result": {"resourceSpans": [...]}}`: each resource names its
    service in its service.name attribute; ids are hex, a parent in parentSpanId."""
    if answer.get("error"):
        raise ValueError(f"Jaeger answered an error: {answer['error']}")
    spans = []
    for resource_spans in (answer.get("result") or {}).get("resourceSpans") or []:
        attributes = (resource_spans.get("resource") or {}).get("attributes") or []
        names = [a["value"].get("stringValue") for a in attributes if a["key"] == "service.name"]
        service = names[0] if names else ""
        for scope_spans in resource_spans.get("scopeSpans") or []:
            for span in scope_spans.get("spans") or []:
                if span["traceId"].lower() != trace_id:
                    continue
                spans.append(
                    Span(
                        service=service,
                        name=span["name"],
                        span_id=span["spanId"],
                        parent_id=span.get("parentSpanId") or None,
                    )
                )
    return spans
