"""Composition root: settings, then the pool, publisher and relay, wired in one place."""

from user_service.bootstrap.database import check_database, migrate_database
from user_service.bootstrap.runtime import Runtime, start_runtime
from user_service.bootstrap.settings import (
    ServiceSettings,
    UserServiceSettings,
    load_user_service_settings,
)

__all__ = [
    "Runtime",
    "ServiceSettings",
    "UserServiceSettings",
    "check_database",
    "load_user_service_settings",
    "migrate_database",
    "start_runtime",
]
