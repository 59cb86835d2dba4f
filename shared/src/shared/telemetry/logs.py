"""Logging for every process: JSON lines by default, a console format for people.

``EDA_LOG_LEVEL`` sets the level (default INFO) and ``EDA_LOG_FORMAT`` the format
(``json`` or ``console``). Each JSON line carries timestamp, level, logger, message,
service, and the trace and span id of the span current when it was logged. The
console shows the INFO lines of libraries (aiokafka, aio-pika, uvicorn...) only at
``EDA_LOG_LEVEL=DEBUG``: a person reads the system's own lines and every warning;
JSON lines stay complete for log collectors."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from opentelemetry import trace

FORMATS = ("json", "console")
# The project's own packages; every other logger is a library's.
OWN_PACKAGES = frozenset(
    {"shared", "user_service", "order_service", "subscribers", "scaling_operator", "eda_cli"}
)


class LogConfigError(ValueError):
    pass


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self._service,
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            document["trace_id"] = f"{span_context.trace_id:032x}"
            document["span_id"] = f"{span_context.span_id:016x}"
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")


class LibraryInfoFilter(logging.Filter):
    """Let a library's record through from WARNING up; the project's at any level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.partition(".")[0] in OWN_PACKAGES


def configure_logging(service: str, environ: Mapping[str, str] | None = None) -> None:
    """Replace the root handlers with one on stderr in the configured format and level."""
    environ = os.environ if environ is None else environ
    level_name = environ.get("EDA_LOG_LEVEL", "INFO").strip().upper()
    level = logging.getLevelNamesMapping().get(level_name)
    if level is None:
        raise LogConfigError(
            f"EDA_LOG_LEVEL={level_name!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    log_format = environ.get("EDA_LOG_FORMAT", "json").strip().lower()
    if log_format not in FORMATS:
        raise LogConfigError(f"EDA_LOG_FORMAT={log_format!r}: use one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service) if log_format == "json" else ConsoleFormatter())
    if log_format == "console" and level > logging.DEBUG:
        handler.addFilter(LibraryInfoFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own loggers go through the root handler, in the same format.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
