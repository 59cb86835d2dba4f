"""The order-service's composition root: its definition and the environment become
its settings; ``shared.service.runtime`` builds the runtime from them when the app starts."""

from __future__ import annotations

from order_service.config import SERVICE
from shared.service import ServiceSettings, load_service_settings
from shared.settings import Settings


def load_settings(platform: Settings | None = None) -> ServiceSettings:
    """The environment's settings with the order-service's defaults; raises SettingsError."""
    return load_service_settings(SERVICE, platform)
