"""W3C ``traceparent``/``tracestate`` values to and from OpenTelemetry contexts.

Written by hand rather than through the propagator API: messages carry the two
values as plain headers and columns, and parsing them directly is several times
cheaper on the per-message path."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

_HEX = frozenset("0123456789abcdef")


def parse_traceparent(traceparent: str, tracestate: str | None = None) -> SpanContext | None:
    """The remote span context of a ``traceparent`` header; None if it is malformed."""
    if len(traceparent) < 55 or traceparent[2] != "-" or traceparent[35] != "-":
        return None
    version, trace_id, span_id, flags = traceparent[:2], traceparent[3:35], traceparent[36:52], ""
    if traceparent[52] != "-":
        return None
    flags = traceparent[53:55]
    if version == "ff" or not _HEX.issuperset(version + trace_id + span_id + flags):
        return None
    if version == "00" and len(traceparent) != 55:
        return None
    trace_value, span_value = int(trace_id, 16), int(span_id, 16)
    if trace_value == 0 or span_value == 0:
        return None
    state = TraceState.from_header([tracestate]) if tracestate else None
    return SpanContext(
        trace_value,
        span_value,
        is_remote=True,
        trace_flags=TraceFlags(int(flags, 16) & TraceFlags.SAMPLED),
        trace_state=state,
    )


def remote_context(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """A context whose current span is the remote one named by ``traceparent``."""
    if not traceparent:
        return None
    span_context = parse_traceparent(traceparent, tracestate)
    if span_context is None:
        return None
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def format_traceparent(span_context: SpanContext) -> str:
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{int(span_context.trace_flags):02x}"
    )


def format_tracestate(span_context: SpanContext) -> str | None:
    return span_context.trace_state.to_header() or None if span_context.trace_state else None


def current_traceparent() -> tuple[str, str | None] | None:
    """The current span's ``traceparent`` and ``tracestate``, if there is a valid span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format_traceparent(span_context), format_tracestate(span_context)


TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
