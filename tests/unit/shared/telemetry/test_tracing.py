from __future__ import annotations

import pytest

from shared.telemetry.tracing import TelemetryConfigError, configure_tracing, tracing_wanted


@pytest.mark.parametrize(
    ("environment", "wanted"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, False),
        ({"OTEL_SDK_DISABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, True),
    ],
)
def test_tracing_is_on_only_when_there_is_somewhere_to_export(
    environment: dict[str, str], wanted: bool
) -> None:
    assert tracing_wanted(environment) is wanted


def test_an_unsupported_exporter_is_named() -> None:
    with pytest.raises(TelemetryConfigError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        tracing_wanted({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_an_unsupported_protocol_is_named() -> None:
    environment = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    with pytest.raises(TelemetryConfigError, match="OTEL_EXPORTER_OTLP_PROTOCOL='grpc'"):
        configure_tracing("svc", environment)


def test_off_by_default_installs_nothing() -> None:
    assert configure_tracing("svc", {}) is None
