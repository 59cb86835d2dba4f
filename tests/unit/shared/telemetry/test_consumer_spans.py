"""Which CONSUMER span a processed run makes, how it is parented, and the context each
message's handler runs in."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.telemetry.consumer_spans import NULL_PROCESS_SPAN, start_process
from shared.telemetry.message_context import message_parent

STORED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_tracing_off_gives_the_null_span_which_does_nothing() -> None:
    process = start_process("kafka", "t", "sub", [(STORED, None)])
    assert process is NULL_PROCESS_SPAN
    with process.running(), process.handling(0, "e1"):
        assert message_parent() is None
    asked: list[int] = []

    def event_ids() -> list[tuple[int, str]]:
        asked.append(1)
        return [(0, "e1")]

    with process.handling_together(event_ids) as together:
        together.failed("nothing recorded")
    assert asked == []  # the ids of a run are not even listed


def test_a_run_of_one_is_a_child_of_its_producer(spans: InMemorySpanExporter) -> None:
    process = start_process("kafka", "orders", "sub", [(STORED, None)])
    with process.running():
        process.name_message("e1")
    (span,) = spans.get_finished_spans()
    assert span.kind == SpanKind.CONSUMER
    assert span.parent is not None
    assert span.parent.span_id == 0xB7AD6B7169203331
    assert span.attributes is not None
    assert span.attributes["messaging.consumer.group.name"] == "sub"
    assert span.attributes["messaging.message.id"] == "e1"


def test_a_run_of_several_links_each_message(spans: InMemorySpanExporter) -> None:
    other = "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01"
    process = start_process("kafka", "orders", "sub", [(STORED, None), None, (other, None)])
    with process.running():
        with process.handling(2, "e3"):
            handler_parent = message_parent()
        process.dead_lettered("bad", attempts=1)
    (span,) = spans.get_finished_spans()
    assert span.parent is None
    assert {link.context.span_id for link in span.links} == {0xB7AD6B7169203331, 0xC7AD6B7169203331}
    assert not span.status.is_ok
    # The third message's handler continues the third message's trace.
    assert handler_parent is not None
    assert trace.get_current_span(handler_parent).get_span_context().span_id == 0xC7AD6B7169203331
    assert message_parent() is None  # only while that message is handled


def test_in_a_run_of_one_the_handler_continues_the_consumer_span(
    spans: InMemorySpanExporter,
) -> None:
    process = start_process("kafka", "orders", "sub", [(STORED, None)])
    with process.running(), process.handling(0, "e1"):
        assert message_parent() is None  # the current context, i.e. the CONSUMER span
        assert trace.get_current_span().get_span_context().trace_id == (
            0x0AF7651916CD43DD8448EB211C80319C
        )
