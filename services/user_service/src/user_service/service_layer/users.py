"""Commands that change a user: each writes the user, then its event, in one transaction
(whose commit wakes the relay)."""

from __future__ import annotations

from uuid import UUID

from shared.outbox import add_to_outbox
from shared.service import UseCaseContext
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.identity import Identity
from user_service.domain.user import User


async def register_user(
    context: UseCaseContext, email: str, name: str, identity: Identity | None = None
) -> User:
    """Raises EmailAlreadyRegisteredError when the (normalised) email is taken,
    IdentityAlreadyRegisteredError when ``identity`` already has a user."""
    user, event = User.register(
        email, name, now=context.clock(), user_id=context.new_id(), identity=identity
    )
    async with context.unit_of_work() as uow:
        await uow.repository(UserRepository).add(user)
        await add_to_outbox(uow, context.envelopes([event]))
        await uow.commit()
    return user


async def deactivate_user(context: UseCaseContext, user_id: UUID) -> User:
    """Raises UserNotFoundError, or UserAlreadyDeactivatedError on a second deactivation."""
    async with context.unit_of_work() as uow:
        users = uow.repository(UserRepository)
        # The row lock comes first: it orders this user's writers and so their outbox rows.
        current = await users.get(user_id, for_update=True)
        if current is None:
            raise UserNotFoundError(user_id)
        user, event = current.deactivate(context.clock())
        await users.save(user)
        await add_to_outbox(uow, context.envelopes([event]))
        await uow.commit()
    return user
