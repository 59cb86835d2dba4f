"""Registry of event models by (type name, version)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from shared.errors import UnknownEventTypeError
from shared.events.base import Event

E = TypeVar("E", bound=type[Event])

_models: dict[tuple[str, int], type[Event]] = {}


def register(model: E) -> E:
    key = (model.event_type, model.version)
    existing = _models.get(key)
    if existing is not None and existing is not model:
        raise ValueError(f"{model.event_type} v{model.version} is already registered")
    _models[key] = model
    return model


def lookup(event_type: str, version: int) -> type[Event]:
    try:
        return _models[(event_type, version)]
    except KeyError:
        raise UnknownEventTypeError(f"unknown event type {event_type!r} v{version}") from None


def latest(event_type: str) -> type[Event]:
    versions = [model for (name, _), model in _models.items() if name == event_type]
    if not versions:
        raise UnknownEventTypeError(f"unknown event type {event_type!r}")
    return max(versions, key=lambda model: model.version)


def all_models() -> Iterator[type[Event]]:
    yield from sorted(_models.values(), key=lambda model: (model.event_type, model.version))


def event_types() -> list[str]:
    return sorted({name for name, _ in _models})
