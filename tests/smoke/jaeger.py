"""One trace from Jaeger's query API (`GET /api/traces/{trace id}`, the JSON the Jaeger
UI reads), as the smoke test's spans."""

from __future__ import annotations

from typing import Any

import httpx

from tests.smoke.traces import Span


async def fetch_trace(client: httpx.AsyncClient, query_url: str, trace_id: str) -> list[Span]:
    """The trace's spans; none while Jaeger does not know it yet (404)."""
    response = await client.get(f"{query_url.rstrip('/')}/api/traces/{trace_id}")
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return parse(response.json(), trace_id)


def parse(answer: dict[str, Any], trace_id: str) -> list[Span]:
    if answer.get("errors"):
        raise ValueError(f"Jaeger answered errors: {answer['errors']}")
    spans = []
    for trace in answer.get("data") or []:
        if trace["traceID"].rjust(32, "0") != trace_id:
            continue
        processes = trace["processes"]
        for span in trace["spans"]:
            parents = [
                ref["spanID"]
                for ref in span.get("references") or []
                if ref["refType"] == "CHILD_OF" and ref["traceID"].rjust(32, "0") == trace_id
            ]
            spans.append(
                Span(
                    service=processes[span["processID"]]["serviceName"],
                    name=span["operationName"],
                    span_id=span["spanID"],
                    parent_id=parents[0] if parents else None,
                )
            )
    return spans
