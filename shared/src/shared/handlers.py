"""A context's event handlers, declared once and typed: which event model each handles,
the handler for one event and, where it has one, for a run of events. The subscriber
name comes from ``shared.subscribers``; the event's type is checked here, once, so a
handler receives its own model.

Handlers run inside the unit of work the subscriber runner opened (with its
``processed_events`` claim) and take the context's dependencies, built once from the
settings (a clock, a setting, the CloudEvents source).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from shared.db.inbox import UnitOfWorkBatchHandler, UnitOfWorkHandler
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import Event
from shared.settings import Settings
from shared.subscribers import SUBSCRIBER_NAMES, SubscriberName, subscriber_of

E = TypeVar("E", bound=Event)
D = TypeVar("D")

OneEvent = Callable[[E, Envelope, UnitOfWork, D], Awaitable[None]]
RunOfEvents = Callable[[Sequence[tuple[E, Envelope]], UnitOfWork, D], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class On(Generic[E, D]):
    """``On(OrderPlacedV1, order_placed)``: the handler of one event model."""

    event: type[E]
    handle: OneEvent[E, D]
    handle_many: RunOfEvents[E, D] | None = None
    """Optional: the same effect as ``handle`` for each event in order, in fewer
    statements. Raising fails the whole run."""


@dataclass(frozen=True, slots=True)
class BoundHandlers:
    """One subscription's handlers with the context's dependencies applied."""

    one: UnitOfWorkHandler
    many: UnitOfWorkBatchHandler | None


@dataclass(frozen=True)
class ContextHandlers(Generic[D]):
    context: str
    source: str
    """CloudEvents ``source`` of the events the handlers raise."""
    database: str
    """Default database: the context's own, where the handlers write."""
    dependencies: Callable[[Settings], D]
    """Raises SettingsError, naming the variable, for a malformed handler setting."""
    handlers: Sequence[On[Any, D]]
    by_event: Mapping[type[Event], On[Any, D]] = field(init=False)
    """The handlers keyed by event model."""
    names: Mapping[str, SubscriberName] = field(init=False)
    """Event type -> its subscriber's name."""

    def __post_init__(self) -> None:
        by_event = {handler.event: handler for handler in self.handlers}
        if len(by_event) != len(self.handlers):
            raise ValueError(f"the {self.context} context declares an event model twice")
        names = {
            model.event_type: subscriber_of(self.context, model.event_type) for model in by_event
        }
        listed = {s.event_type for s in SUBSCRIBER_NAMES if s.context == self.context}
        if missing := listed - names.keys():
            raise ValueError(
                f"shared.subscribers lists {sorted(missing)} for the {self.context} context,"
                " which declares no handler for them"
            )
        object.__setattr__(self, "by_event", MappingProxyType(by_event))
        object.__setattr__(self, "names", MappingProxyType(names))

    def bind(self, settings: Settings) -> Mapping[str, BoundHandlers]:
        """Event type -> its handlers, ready for the runner."""
        dependencies = self.dependencies(settings)
        return MappingProxyType(
            {
                model.event_type: _bound(handler, dependencies)
                for model, handler in self.by_event.items()
            }
        )


def _bound(handler: On[E, D], dependencies: D) -> BoundHandlers:
    async def one(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await handler.handle(_expect(handler.event, event), envelope, uow, dependencies)

    many: UnitOfWorkBatchHandler | None = None
    if (handle_many := handler.handle_many) is not None:

        async def run(events: Sequence[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
            typed = [(_expect(handler.event, event), envelope) for event, envelope in events]
            await handle_many(typed, uow, dependencies)

        many = run
    return BoundHandlers(one, many)


def _expect(model: type[E], event: Event) -> E:
    if not isinstance(event, model):
        raise PermanentError(
            f"expected {model.event_type} v{model.version}, got {event.event_type} v{event.version}"
        )
    return event
