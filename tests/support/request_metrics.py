"""Reading this process's HTTP request metrics from the default Prometheus registry."""

from __future__ import annotations

from prometheus_client import REGISTRY


def requests_counted(service: str, method: str, route: str, status: int) -> float:
    """How many responses ``http_server_request_duration_seconds`` has counted so far
    under these labels (0 before the first)."""
    value = REGISTRY.get_sample_value(
        "http_server_request_duration_seconds_count",
        {
            "service": service,
            "http_request_method": method,
            "http_route": route,
            "http_response_status_code": str(status),
        },
    )
    return value or 0.0
