"""The customer projection in MySQL: parametrised SQL on the caller's unit of work."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from order_service.adapters.rows import customer_from_row, to_db_time
from order_service.domain import Customer
from shared.db import UnitOfWork

_SELECT = (
    "SELECT user_id, email, active, updated_at, identity_key FROM customers WHERE user_id = %s"
)


class RowLock(StrEnum):
    """How ``get`` locks the customer's row (or, if absent, the gap where it would go)."""

    NONE = ""
    # Placements of one customer share it; a deactivation waits for them and they for it.
    SHARED = " LOCK IN SHARE MODE"
    EXCLUSIVE = " FOR UPDATE"


class CustomerRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, user_id: UUID, *, lock: RowLock = RowLock.NONE) -> Customer | None:
        row = await self._uow.fetchone(_SELECT + lock.value, (str(user_id),))
        return customer_from_row(row) if row is not None else None

    async def add_or_lock(self, customer: Customer) -> Customer | None:
        """Insert ``customer`` unless its user is already known; either way the row stays
        locked until the unit of work ends. Returns the customer already stored, if any.

        Inserting first, rather than reading first, keeps two first facts about one user
        from both finding nothing and colliding: the second waits on the first's row.
        """
        # A no-op update on a duplicate: affected rows are 1 when inserted, 0 when present.
        inserted = await self._uow.execute(
            "INSERT INTO customers (user_id, email, active, updated_at, identity_key)"
            " VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE user_id = user_id",
            _values(customer),
        )
        if inserted == 1:
            return None
        return await self.get(customer.user_id, lock=RowLock.EXCLUSIVE)

    async def update(self, customer: Customer) -> None:
        user_id, email, active, updated_at, identity_key = _values(customer)
        await self._uow.execute(
            "UPDATE customers SET email = %s, active = %s, updated_at = %s, identity_key = %s"
            " WHERE user_id = %s",
            (email, active, updated_at, identity_key, user_id),
        )


def _values(customer: Customer) -> tuple[object, ...]:
    return (
        str(customer.user_id),
        customer.email,
        customer.active,
        to_db_time(customer.updated_at),
        customer.identity_key,
    )
