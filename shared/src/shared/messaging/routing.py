"""Which broker carries which event type: a table in settings, a default for the rest."""

from __future__ import annotations

from shared.events import registry
from shared.settings import BrokerKind, Settings, SettingsError


def broker_for(settings: Settings, event_type: str) -> BrokerKind:
    return settings.routes.get(event_type, settings.default_broker)


def check_routes(settings: Settings) -> None:
    """Fail at startup on a route for an event type nobody registered (a typo loses events)."""
    known = set(registry.event_types())
    unknown = sorted(set(settings.routes) - known)
    if unknown:
        raise SettingsError(
            f"EDA_ROUTES names unknown event types {unknown}; known: {sorted(known)}"
        )
