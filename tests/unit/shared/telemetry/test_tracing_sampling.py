"""A caller's sampled flag does not decide a SERVER span's sampling at the edge; a
messaging CONSUMER span still follows its producer's decision."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from shared.telemetry.tracing import TelemetryConfigError, sampler_from

RATIO_ZERO = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}


def remote_parent(sampled: bool) -> trace.Span:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return NonRecordingSpan(
        SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, True, flags)
    )


def started(environ: dict[str, str], kind: SpanKind, sampled_parent: bool) -> bool:
    provider = TracerProvider(sampler=sampler_from(environ))
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    context = trace.set_span_in_context(remote_parent(sampled_parent))
    with provider.get_tracer("t").start_as_current_span("s", context=context, kind=kind) as span:
        sampled = span.get_span_context().trace_flags.sampled
        assert span.get_span_context().trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    provider.shutdown()
    assert len(exporter.get_finished_spans()) == int(sampled)
    return sampled


def test_a_callers_sampled_flag_does_not_force_sampling_at_the_edge() -> None:
    assert not started(RATIO_ZERO, SpanKind.SERVER, sampled_parent=True)


def test_a_consumer_span_follows_its_producers_decision() -> None:
    assert started(RATIO_ZERO, SpanKind.CONSUMER, sampled_parent=True)
    assert not started({}, SpanKind.CONSUMER, sampled_parent=False)


def test_the_edge_samples_at_its_own_ratio_whatever_the_caller_says() -> None:
    assert started({}, SpanKind.SERVER, sampled_parent=False)  # parentbased_always_on
    environ = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1"}
    assert started(environ, SpanKind.SERVER, sampled_parent=False)


def test_trusting_the_caller_is_a_setting() -> None:
    environ = {**RATIO_ZERO, "EDA_TRACES_TRUST_CALLER_SAMPLING": "true"}
    assert started(environ, SpanKind.SERVER, sampled_parent=True)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER"),
        ({**RATIO_ZERO, "OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({**RATIO_ZERO, "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"EDA_TRACES_TRUST_CALLER_SAMPLING": "yes"}, "EDA_TRACES_TRUST_CALLER_SAMPLING"),
    ],
)
def test_a_bad_sampler_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(TelemetryConfigError, match=named):
        sampler_from(environ)
