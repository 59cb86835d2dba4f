"""The process's tracer, configured from the standard ``OTEL_*`` environment variables.

Off (``tracer()`` is None) unless ``OTEL_TRACES_EXPORTER=otlp`` or an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, and
always off with ``OTEL_SDK_DISABLED=true``. When on: W3C trace context, the sampler of
``OTEL_TRACES_SAMPLER`` (default: parent-based always-on), batch export over
OTLP HTTP/protobuf, resource from ``shared.telemetry.resource`` (``service.version``,
``k8s.*``) with ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES`` over it.

A parent-based sampler does not follow the sampled flag of a caller's ``traceparent``
for a SERVER span (the HTTP edge): any client could otherwise force every one of its
requests to be traced. There the root sampler decides (the ratio of
``parentbased_traceidratio``), the span still joining the caller's trace. Spans of
other kinds, messaging CONSUMER spans among them, follow their parent as before.
``EDA_TRACES_TRUST_CALLER_SAMPLING=true`` follows the caller at the edge too (behind
a gateway that makes the decision).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Tracer, TraceState
from opentelemetry.util.types import Attributes

from shared.telemetry.resource import process_resource

INSTRUMENTATION_NAME = "shared"
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_PROTOCOL_VARIABLES = ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
TRUST_CALLER_SAMPLING = "EDA_TRACES_TRUST_CALLER_SAMPLING"
_SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)

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


class EdgeSampler(Sampler):
    """``parent_based``'s decision, except for a SERVER span whose parent is remote (a
    caller's ``traceparent``): ``root`` decides that one, whatever the caller's flag."""

    def __init__(self, parent_based: Sampler, root: Sampler) -> None:
        self._parent_based = parent_based
        self._root = root

    def should_sample(  # noqa: PLR0917 - the SDK's signature
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        at_the_edge = kind is SpanKind.SERVER and parent.is_valid and parent.is_remote
        sampler = self._root if at_the_edge else self._parent_based
        return sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return (
            f"EdgeSampler{{{self._parent_based.get_description()},"
            f"remote-parent SERVER spans:{self._root.get_description()}}}"
        )


def sampler_from(environ: Mapping[str, str]) -> Sampler:
    """The sampler of ``OTEL_TRACES_SAMPLER``/``_ARG``; a parent-based one does not let
    a caller decide at the edge unless ``EDA_TRACES_TRUST_CALLER_SAMPLING=true``."""
    name = environ.get("OTEL_TRACES_SAMPLER", "parentbased_always_on").strip().lower()
    if name not in _SAMPLERS:
        raise TelemetryConfigError(
            f"OTEL_TRACES_SAMPLER={name!r}: one of {', '.join(_SAMPLERS)} is supported"
        )
    kind = name.removeprefix("parentbased_")
    root: Sampler
    if kind == "traceidratio":
        argument = environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0")
        try:
            root = TraceIdRatioBased(float(argument))
        except ValueError:
            raise TelemetryConfigError(
                f"OTEL_TRACES_SAMPLER_ARG={argument!r}: a ratio from 0 to 1 is needed"
            ) from None
    else:
        root = ALWAYS_ON if kind == "always_on" else ALWAYS_OFF
    if name == kind:
        return root
    trust = environ.get(TRUST_CALLER_SAMPLING, "false").strip().lower()
    if trust not in ("true", "false"):
        raise TelemetryConfigError(f"{TRUST_CALLER_SAMPLING}={trust!r}: true or false")
    parent_based = ParentBased(root)
    return parent_based if trust == "true" else EdgeSampler(parent_based, root)


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

    sampler = sampler_from(environ)
    resource = process_resource(default_service_name, environ)
    provider = TracerProvider(resource=resource, sampler=sampler)
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
