"""One call at the start of every process: logs, tracing, then ``eda_build_info``."""

from __future__ import annotations

import os
from collections.abc import Mapping

from shared.telemetry.logs import LogConfigError, configure_logging
from shared.telemetry.metrics import BUILD_INFO
from shared.telemetry.resource import service_version
from shared.telemetry.tracing import TelemetryConfigError, configure_tracing


class TelemetrySetupError(ValueError):
    """A logging or ``OTEL_*`` variable is malformed; the message names it."""


def init_telemetry(service_name: str) -> None:
    """``service_name`` is the default ``service.name`` and the ``service`` of log
    lines; ``OTEL_SERVICE_NAME`` overrides it for traces."""
    try:
        configure_logging(os.environ.get("OTEL_SERVICE_NAME") or service_name)
        configure_tracing(service_name)
    except (LogConfigError, TelemetryConfigError) as exc:
        raise TelemetrySetupError(str(exc)) from None
    record_build_info(service_name, os.environ)


def record_build_info(service_name: str, environ: Mapping[str, str]) -> None:
    """``eda_build_info{service, version} 1``, version from ``EDA_SERVICE_VERSION``."""
    BUILD_INFO.labels(service_name, service_version(environ)).set(1)
