"""The process's tracer, configured from the standard ``OTEL_*`` environment variables.

Off (``tracer()`` is None) unless ``OTEL_TRACES_EXPORTER=otlp`` or an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, and
always off with ``OTEL_SDK_DISABLED=true``. When on: W3C trace context, the sampler of
``OTEL_TRACES_SAMPLER`` (SDK default: parent-based always-on), batch export over
OTLP HTTP/protobuf, resource from ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

INSTRUMENTATION_NAME = "shared"
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_PROTOCOL_VARIABLES = ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")

_tracer: Tracer | None = None
_provider: TracerProvider | None = None


class TelemetryConfigError(ValueError):
    """An ``OTEL_*`` variable asks for something this build cannot do."""


def tracer() -> Tracer | None:
    """The tracer every hook in ``shared`` uses, or None when tracing is off."""
    return _tracer


def tracing_wanted(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER")
    if exporters is not None:
        names = {name.strip() for name in exporters.split(",") if name.strip()}
        if names <= {"none"}:
            return False
        if names != {"otlp"}:
            raise TelemetryConfigError(
                f"OTEL_TRACES_EXPORTER={exporters!r}: only 'otlp' (or 'none') is supported"
            )
        return True
    return any(environ.get(name) for name in _ENDPOINT_VARIABLES)


def configure_tracing(
    default_service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """Install the tracer provider if the environment asks for tracing; return it."""
    global _tracer, _provider  # noqa: PLW0603 - one provider per process, by design
    environ = os.environ if environ is None else environ
    if not tracing_wanted(environ):
        return None
    for name in _PROTOCOL_VARIABLES:
        protocol = environ.get(name)
        if protocol and protocol != "http/protobuf":
            raise TelemetryConfigError(f"{name}={protocol!r}: only 'http/protobuf' is supported")
    # Imported here: the exporter pulls in protobuf and requests, which a process
    # without tracing never needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: default_service_name}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    _tracer = provider.get_tracer(INSTRUMENTATION_NAME)
    return provider


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Route ``shared``'s spans to ``provider`` (None switches tracing off): for tests
    and benchmarks that set up their own provider in this process."""
    global _tracer, _provider  # noqa: PLW0603
    _provider = provider
    _tracer = provider.get_tracer(INSTRUMENTATION_NAME) if provider is not None else None


def shutdown_tracing() -> None:
    """Export what is buffered and stop; tracing is off afterwards."""
    global _tracer, _provider  # noqa: PLW0603
    if _provider is not None:
        _provider.shutdown()
    _tracer = None
    _provider = None
