"""Change one existing order inside a unit of work the caller owns.

The row is locked before the domain decides and before the outbox insert, so two
writers of one order are serialised and its events reach the outbox in order.
A subscriber that already holds a unit of work (``shared.db.inbox``) calls
``apply_in`` with the causing event's ``Causation`` and commits together with its
processed mark.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order
from order_service.service_layer.causation import Causation
from order_service.service_layer.errors import OrderNotFoundError
from shared.db import UnitOfWork
from shared.events import Event
from shared.outbox import add_to_outbox

Transition = Callable[[Order], tuple[Order, Event]]


async def apply_in(
    uow: UnitOfWork, order_id: UUID, transition: Transition, causation: Causation
) -> Order:
    """Lock the order, apply ``transition``, store the change and its event.

    Raises IllegalTransitionError (before writing anything) when the order's status
    does not allow the change, and OrderNotFoundError for an unknown id.
    """
    current = await uow.repository(OrderRepository).get(order_id, for_update=True)
    if current is None:
        raise OrderNotFoundError(order_id)
    return await apply_to_locked(uow, current, transition, causation)


async def apply_to_locked(
    uow: UnitOfWork, locked: Order, transition: Transition, causation: Causation
) -> Order:
    """``apply_in`` for an order the caller read ``for_update`` in this unit of work."""
    changed, event = transition(locked)
    await uow.repository(OrderRepository).save(changed)
    await add_to_outbox(uow, [causation.wrap(event)])
    return changed
