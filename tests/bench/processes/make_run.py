"""The environment of the system's processes under `make run`, for the groups that run
the whole system (`tests.e2e.system` shortens some settings so the suite finishes
sooner; these put them back)."""

from __future__ import annotations

from collections.abc import Mapping

from eda_local.launcher import EMBEDDED_KAFKA_ENVIRONMENT
from shared.settings import KafkaSettings, OutboxSettings, RetrySettings

_RETRY = RetrySettings()

AS_MAKE_RUN: Mapping[str, str] = {
    **EMBEDDED_KAFKA_ENVIRONMENT,
    # what the end-to-end suite shortens to finish sooner, back at what `make run` uses
    "EDA_OUTBOX__IDLE_POLL_S": str(OutboxSettings().idle_poll_s),
    "EDA_KAFKA__SESSION_TIMEOUT_MS": str(KafkaSettings().session_timeout_ms),
    "EDA_RETRY__INITIAL_BACKOFF_S": str(_RETRY.initial_backoff_s),
    "EDA_RETRY__MAX_BACKOFF_S": str(_RETRY.max_backoff_s),
    "EDA_RETRY__MAX_ATTEMPTS": str(_RETRY.max_attempts),
    "EDA_LOG_FORMAT": "console",
}
