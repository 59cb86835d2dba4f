"""The event counters of the running system, summed over its processes' /metrics."""

from __future__ import annotations

from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.system import RunningSystem

COUNTERS = (
    "eda_events_consumed_total",
    "eda_events_dead_lettered_total",
    "eda_events_duplicates_total",
    "eda_events_retried_total",
)


async def counters(client: httpx.AsyncClient, system: RunningSystem) -> Counter[str]:
    """The event counters summed over every process of the system."""
    totals: Counter[str] = Counter()
    for name in system.commands:
        try:
            response = await client.get(f"{system.health_url(name)}/metrics")
        except httpx.HTTPError:
            continue
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name in COUNTERS:
                    totals[sample.name] += int(sample.value)
    return totals
