from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry.logs import JsonFormatter, LogConfigError, configure_logging
from shared.telemetry.tracing import tracer


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("orders.relay", logging.WARNING, __file__, 1, message, (), None)


def test_a_json_line_has_the_fields_a_collector_needs() -> None:
    line = json.loads(JsonFormatter("order-service").format(_record("broker away")))
    assert line["level"] == "WARNING"
    assert line["logger"] == "orders.relay"
    assert line["message"] == "broker away"
    assert line["service"] == "order-service"
    assert line["timestamp"].endswith("+00:00")
    assert "trace_id" not in line  # no span, no ids


def test_a_line_logged_in_a_span_carries_its_ids(spans: InMemorySpanExporter) -> None:
    active = tracer()
    assert active is not None
    with active.start_as_current_span("work") as span:
        line = json.loads(JsonFormatter("svc").format(_record("inside")))
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"


@pytest.mark.parametrize(
    ("environment", "variable"),
    [({"EDA_LOG_LEVEL": "LOUD"}, "EDA_LOG_LEVEL"), ({"EDA_LOG_FORMAT": "xml"}, "EDA_LOG_FORMAT")],
)
def test_a_bad_log_setting_is_named(environment: dict[str, str], variable: str) -> None:
    with pytest.raises(LogConfigError, match=variable):
        configure_logging("svc", environment)


def test_one_variable_sets_the_level() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("svc", {"EDA_LOG_LEVEL": "warning", "EDA_LOG_FORMAT": "console"})
        assert root.level == logging.WARNING
        assert len(root.handlers) == 1
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def _lines_shown(environment: dict[str, str], records: list[logging.LogRecord]) -> list[str]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("svc", environment)
        (handler,) = root.handlers
        return [record.name for record in records if handler.filter(record)]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def _at(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", (), None)


LIBRARY_AND_OWN = [
    _at("aiokafka.consumer.group_coordinator", logging.INFO),
    _at("aio_pika.robust_connection", logging.INFO),
    _at("uvicorn.error", logging.INFO),
    _at("aiokafka.conn", logging.WARNING),
    _at("shared.messaging.kafka.consumer", logging.INFO),
    _at("subscribers.runner", logging.INFO),
]


def test_the_console_shows_library_info_only_at_debug() -> None:
    shown = _lines_shown({"EDA_LOG_FORMAT": "console"}, LIBRARY_AND_OWN)
    assert shown == ["aiokafka.conn", "shared.messaging.kafka.consumer", "subscribers.runner"]
    every = [record.name for record in LIBRARY_AND_OWN]
    debug = {"EDA_LOG_FORMAT": "console", "EDA_LOG_LEVEL": "DEBUG"}
    assert _lines_shown(debug, LIBRARY_AND_OWN) == every


def test_json_lines_keep_library_info() -> None:
    every = [record.name for record in LIBRARY_AND_OWN]
    assert _lines_shown({"EDA_LOG_FORMAT": "json"}, LIBRARY_AND_OWN) == every
