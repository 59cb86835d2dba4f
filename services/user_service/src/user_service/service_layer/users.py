"""Commands that change a user: each writes the user, then its events, in one transaction."""

from __future__ import annotations

from uuid import UUID

from shared.outbox.writer import add_to_outbox
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.user import User
from user_service.service_layer.context import ServiceContext


async def register_user(
    context: ServiceContext, email: str, name: str, correlation_id: str | None = None
) -> User:
    """Raises EmailAlreadyRegisteredError when the (normalised) email is taken."""
    user = User.register(email, name, now=context.clock())
    async with context.unit_of_work() as uow:
        await UserRepository(uow).add(user)
        await add_to_outbox(uow, context.envelopes(user.pull_events(), correlation_id))
        await uow.commit()
    context.wake_relay()
    return user


async def deactivate_user(
    context: ServiceContext, user_id: UUID, correlation_id: str | None = None
) -> User:
    """Raises UserNotFoundError, or UserAlreadyDeactivatedError on a second deactivation."""
    async with context.unit_of_work() as uow:
        users = UserRepository(uow)
        # The row lock comes first: it orders this user's writers and so their outbox rows.
        user = await users.get(user_id, for_update=True)
        if user is None:
            raise UserNotFoundError(user_id)
        user.deactivate(context.clock())
        await users.save(user)
        await add_to_outbox(uow, context.envelopes(user.pull_events(), correlation_id))
        await uow.commit()
    context.wake_relay()
    return user
