from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.trace import SpanContext, TraceFlags, TraceState

from shared.telemetry.trace_context import format_traceparent, parse_traceparent

VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_valid_traceparent_parses_to_a_remote_sampled_context() -> None:
    context = parse_traceparent(VALID, "vendor=abc")
    assert context is not None
    assert context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert context.span_id == 0xB7AD6B7169203331
    assert context.is_remote
    assert context.trace_flags.sampled
    assert context.trace_state.get("vendor") == "abc"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # zero span id
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # forbidden version
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  # v00 with more
        "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
    ],
)
def test_malformed_traceparents_are_ignored(value: str) -> None:
    assert parse_traceparent(value) is None


def test_unsampled_flag_is_kept() -> None:
    context = parse_traceparent(VALID[:-2] + "00")
    assert context is not None
    assert not context.trace_flags.sampled


@given(
    trace_id=st.integers(min_value=1, max_value=2**128 - 1),
    span_id=st.integers(min_value=1, max_value=2**64 - 1),
    sampled=st.booleans(),
)
def test_format_and_parse_round_trip(trace_id: int, span_id: int, sampled: bool) -> None:
    original = SpanContext(
        trace_id,
        span_id,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else 0),
        trace_state=TraceState(),
    )
    parsed = parse_traceparent(format_traceparent(original))
    assert parsed is not None
    assert (parsed.trace_id, parsed.span_id, parsed.trace_flags.sampled) == (
        trace_id,
        span_id,
        sampled,
    )
