"""What every HTTP service of the platform is made of, written once: its definition,
settings, use-case context, runtime, schema, app factory and command line.

A service declares only what is its own (``ServiceDefinition``, routes, error
mapping, use cases); ``shared.service.app`` and ``shared.service.cli`` build the rest.
"""

from shared.service.context import UseCaseContext, utc_now
from shared.service.definition import ServiceDefinition
from shared.service.runtime import ServiceRuntime, start_runtime
from shared.service.schema import check_database, migrate_database
from shared.service.settings import HttpSettings, ServiceSettings, load_service_settings

__all__ = [
    "HttpSettings",
    "ServiceDefinition",
    "ServiceRuntime",
    "ServiceSettings",
    "UseCaseContext",
    "check_database",
    "load_service_settings",
    "migrate_database",
    "start_runtime",
    "utc_now",
]
