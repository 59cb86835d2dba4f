"""Users and their spend per currency, stored in ``users`` and ``user_spend``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pymysql

from shared.db import PageKey, UnitOfWork, placeholders, row_placeholders
from user_service.adapters.rows import from_column, is_duplicate_of, to_column
from user_service.domain.errors import EmailAlreadyRegisteredError, IdentityAlreadyRegisteredError
from user_service.domain.identity import Identity
from user_service.domain.user import ConfirmedOrdersTally, User, UserStatus

# Reads join the spend rows: one row per (user, currency), users in page order.
_SELECT_ONE = (
    "SELECT u.id, u.email, u.name, u.status, u.orders_count, u.created_at,"
    " u.identity_issuer, u.identity_subject, s.currency, s.amount"
    " FROM users u LEFT JOIN user_spend s ON s.user_id = u.id WHERE u.id = %s"
)
_SELECT_FIRST_PAGE = (
    "SELECT u.id, u.email, u.name, u.status, u.orders_count, u.created_at,"
    " u.identity_issuer, u.identity_subject, s.currency, s.amount"
    " FROM (SELECT * FROM users ORDER BY created_at, id LIMIT %s) u"
    " LEFT JOIN user_spend s ON s.user_id = u.id ORDER BY u.created_at, u.id"
)
_SELECT_NEXT_PAGE = (
    "SELECT u.id, u.email, u.name, u.status, u.orders_count, u.created_at,"
    " u.identity_issuer, u.identity_subject, s.currency, s.amount"
    " FROM (SELECT * FROM users WHERE created_at > %s OR (created_at = %s AND id > %s)"
    " ORDER BY created_at, id LIMIT %s) u"
    " LEFT JOIN user_spend s ON s.user_id = u.id ORDER BY u.created_at, u.id"
)
_LOCK_USER = (
    "SELECT id, email, name, status, orders_count, created_at, identity_issuer, identity_subject"
    " FROM users WHERE id = %s FOR UPDATE"
)
_SELECT_SPEND = "SELECT currency, amount FROM user_spend WHERE user_id = %s"
# Only "%s" markers are interpolated into the statements for many users (shared.db.statements).
_LOCK_USERS = "SELECT id FROM users WHERE id IN ({}) ORDER BY id FOR UPDATE"
_ADD_ORDERS = "UPDATE users SET orders_count = orders_count + %s WHERE id IN ({})"
_ADD_SPENDS = (
    "INSERT INTO user_spend (user_id, currency, amount) VALUES {}"
    " ON DUPLICATE KEY UPDATE amount = amount + VALUES(amount)"
)


class UserRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, user: User) -> None:
        """Insert a new user; the UNIQUE email and identity indexes decide between
        concurrent registrations."""
        identity = user.identity
        try:
            await self._uow.execute(
                "INSERT INTO users (id, email, name, status, orders_count, created_at,"
                " identity_issuer, identity_subject, identity_key)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    str(user.id),
                    user.email,
                    user.name,
                    user.status.value,
                    user.orders_count,
                    to_column(user.created_at),
                    identity.issuer if identity is not None else None,
                    identity.subject if identity is not None else None,
                    user.identity_key,
                ),
            )
        except pymysql.err.IntegrityError as exc:
            if is_duplicate_of(exc, "users_email"):
                raise EmailAlreadyRegisteredError(user.email) from None
            if is_duplicate_of(exc, "users_identity"):
                raise IdentityAlreadyRegisteredError from None
            raise
        await self._save_spend(user)
        user.spend_changes.clear()

    async def get(self, user_id: UUID, *, for_update: bool = False) -> User | None:
        """Load a user; ``for_update`` locks the row so writers of one user take turns."""
        if for_update:
            return await self._lock(user_id)
        found = _users_from(await self._uow.fetchall(_SELECT_ONE, (str(user_id),)))
        return found[0] if found else None

    async def _lock(self, user_id: UUID) -> User | None:
        # Only the users row is locked. Locking the spend rows too would gap-lock
        # user_spend after them, and two users' first spend in flight at once would
        # deadlock. Every writer of spend holds the user's lock, and ``save`` adds the
        # user's spend changes to what is stored, exact even if this read was a stale snapshot.
        row = await self._uow.fetchone(_LOCK_USER, (str(user_id),))
        if row is None:
            return None
        user = _user_from(list(row))
        for currency, amount in await self._uow.fetchall(_SELECT_SPEND, (str(user_id),)):
            user.total_spent[currency] = Decimal(amount)
        return user

    async def lock_many(self, user_ids: set[UUID]) -> set[UUID]:
        """Lock several users' rows, as ``get(for_update=True)`` does, without loading
        them; the ids found. Rows are locked in id order, so two callers holding some of
        the same users wait for each other instead of deadlocking."""
        if not user_ids:
            return set()
        ids = sorted(str(user_id) for user_id in user_ids)
        rows = await self._uow.fetchall(_LOCK_USERS.format(placeholders(len(ids))), ids)
        return {UUID(user_id) for (user_id,) in rows}

    async def exists(self, user_id: UUID) -> bool:
        row = await self._uow.fetchone("SELECT 1 FROM users WHERE id = %s", (str(user_id),))
        return row is not None

    async def save(self, user: User) -> None:
        """Write back a loaded user's state; the caller loaded it ``for_update``."""
        await self._uow.execute(
            "UPDATE users SET name = %s, status = %s, orders_count = %s WHERE id = %s",
            (user.name, user.status.value, user.orders_count, str(user.id)),
        )
        for currency, change in sorted(user.spend_changes.items()):
            if change > 0:
                await self._add_spend(user.id, currency, change)
            elif change < 0:
                await self._take_spend(user.id, currency, -change)
        user.spend_changes.clear()

    async def add_confirmed_orders(self, tally: ConfirmedOrdersTally) -> None:
        """Add the tally to the stored statistics of users locked with ``lock_many``: one
        update per distinct number of orders added (mostly one), one upsert for spend."""
        by_added: dict[int, list[str]] = {}
        for user_id, added in tally.orders.items():
            by_added.setdefault(added, []).append(str(user_id))
        for added, ids in sorted(by_added.items()):
            ids.sort()
            await self._uow.execute(_ADD_ORDERS.format(placeholders(len(ids))), [added, *ids])
        spends = sorted(
            (str(user_id), currency, amount) for (user_id, currency), amount in tally.spent.items()
        )
        if spends:
            await self._uow.execute(
                _ADD_SPENDS.format(row_placeholders(len(spends), 3)),
                [value for row in spends for value in row],
            )

    async def page(self, *, after: PageKey | None, limit: int) -> list[User]:
        if after is None:
            return _users_from(await self._uow.fetchall(_SELECT_FIRST_PAGE, (limit,)))
        continues = to_column(after.created_at)
        rows = await self._uow.fetchall(
            _SELECT_NEXT_PAGE, (continues, continues, str(after.id), limit)
        )
        return _users_from(rows)

    async def _save_spend(self, user: User) -> None:
        for currency, amount in user.total_spent.items():
            await self._uow.execute(
                "INSERT INTO user_spend (user_id, currency, amount) VALUES (%s, %s, %s)"
                " ON DUPLICATE KEY UPDATE amount = VALUES(amount)",
                (str(user.id), currency, amount),
            )

    async def _add_spend(self, user_id: UUID, currency: str, amount: Decimal) -> None:
        await self._uow.execute(
            "INSERT INTO user_spend (user_id, currency, amount) VALUES (%s, %s, %s)"
            " ON DUPLICATE KEY UPDATE amount = amount + VALUES(amount)",
            (str(user_id), currency, amount),
        )

    async def _take_spend(self, user_id: UUID, currency: str, amount: Decimal) -> None:
        """Subtract (the CHECK refuses a negative result); a currency back at zero is
        removed, as a user holds no zero amounts."""
        key = (str(user_id), currency)
        changed = await self._uow.execute(
            "UPDATE user_spend SET amount = amount - %s WHERE user_id = %s AND currency = %s",
            (amount, *key),
        )
        if changed != 1:
            raise RuntimeError(f"user {user_id} has no spend in {currency} to take {amount} from")
        await self._uow.execute(
            "DELETE FROM user_spend WHERE user_id = %s AND currency = %s AND amount = 0", key
        )


def _users_from(rows: list[tuple[Any, ...]]) -> list[User]:
    """Fold the joined rows into users, keeping their order."""
    users: dict[str, User] = {}
    for *columns, currency, amount in rows:
        user = users.get(columns[0])
        if user is None:
            user = users[columns[0]] = _user_from(columns)
        if currency is not None:
            user.total_spent[currency] = Decimal(amount)
    return list(users.values())


def _user_from(columns: list[Any]) -> User:
    user_id, email, name, status, orders_count, created_at, issuer, subject = columns
    return User(
        id=UUID(user_id),
        email=email,
        name=name,
        status=UserStatus(status),
        created_at=from_column(created_at),
        orders_count=int(orders_count),
        identity=Identity(issuer, subject) if subject is not None else None,
    )
