"""In-memory stand-ins for the ports the shared code talks to, for unit tests: the
unit of work and the services' repositories, and a dead-letter sink."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, cast
from uuid import UUID

import aiomysql

from order_service.adapters.customer_repository import CustomerRepository, RowLock
from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Customer, Order, OrderStatus
from shared.db import PageKey, UnitOfWork
from shared.db.unit_of_work import Statement, StatementResult
from shared.envelope import Envelope, encode
from shared.events import Money
from shared.messaging import IncomingMessage
from shared.outbox import OutboxRows
from shared.service import UseCaseContext
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.order_ledger_repository import OrderLedgerRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import EmailAlreadyRegisteredError, IdentityAlreadyRegisteredError
from user_service.domain.notification import Notification
from user_service.domain.order_ledger import OrderLedgerEntry
from user_service.domain.user import ConfirmedOrdersTally, User

# ---------------------------------------------------------------------------------------
# The fake unit of work and the services' fake repositories (decision 38).
#
# Each fake subclasses the real class, so it is accepted wherever the use cases take
# the real one and mypy checks every override against the real signature. A method a
# fake does not override would send SQL, which the fake unit of work refuses.
# ---------------------------------------------------------------------------------------

_Repository = TypeVar("_Repository")
_Key = TypeVar("_Key")
_Row = TypeVar("_Row")


class SqlReachedFakeError(AssertionError):
    """A use case ran SQL past the repositories: a fake is missing a method."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One event as the outbox stores it: its type, its key (the aggregate) and payload."""

    type: str
    key: str
    payload: dict[str, Any]
    envelope: Envelope


class FakeStore(Protocol):
    """What the fake unit of work needs of a fake repository to roll it back."""

    def snapshot(self) -> object: ...

    def restore(self, snapshot: object) -> None: ...


class FakeOutbox(OutboxRows):
    """The outbox rows of one fake unit of work: written ones wait for its commit."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._fake = uow

    async def insert(self, envelopes: Sequence[Envelope]) -> None:
        self._fake.require_open()
        for envelope in envelopes:
            stored = json.loads(encode(envelope))  # what the relay would publish
            self._fake.written.append(
                OutboxEntry(envelope.type, envelope.subject, stored["data"], envelope)
            )


class FakeUnitOfWork(UnitOfWork):
    """A transaction over fake repositories. It records commits and rollbacks, and the
    outbox entries written (``written``, in the open transaction) and committed
    (``outbox``); leaving it uncommitted restores every repository as it was."""

    def __init__(self, *repositories: FakeStore) -> None:
        # No pool and no connection: nothing of UnitOfWork.__init__ applies.
        self._repositories = repositories
        self._outbox_rows = FakeOutbox(self)
        self._committed = False
        self._wrote_outbox = False
        self._before: list[object] = []
        self.is_open = False
        self.commits = 0
        self.rollbacks = 0
        self.written: list[OutboxEntry] = []
        self.outbox: list[OutboxEntry] = []

    @property
    def wrote_outbox(self) -> bool:
        return self._wrote_outbox

    @wrote_outbox.setter
    def wrote_outbox(self, wrote: bool) -> None:
        self._wrote_outbox = wrote

    @property
    def connection(self) -> aiomysql.Connection:
        raise SqlReachedFakeError("a use case asked the fake unit of work for a connection")

    def require_open(self) -> None:
        if not self.is_open:
            raise RuntimeError("the unit of work is not open")

    async def __aenter__(self) -> FakeUnitOfWork:
        if self.is_open:
            raise RuntimeError("the fake unit of work is already open")
        self.is_open = True
        self._committed = False
        self._wrote_outbox = False
        self._before = [repository.snapshot() for repository in self._repositories]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.require_open()
        self.is_open = False
        if not self._committed:
            self._roll_back()

    def repository(self, kind: Callable[[UnitOfWork], _Repository]) -> _Repository:
        for candidate in (self._outbox_rows, *self._repositories):
            if isinstance(kind, type) and isinstance(candidate, kind):
                # Checked just above: the candidate is of the class asked for.
                return cast(_Repository, candidate)
        raise LookupError(f"the fake unit of work was given no fake {kind!r}")

    async def commit(self) -> None:
        self.require_open()
        self.outbox.extend(self.written)
        self.written.clear()
        self._before = [repository.snapshot() for repository in self._repositories]
        self._committed = True
        self.commits += 1

    def _roll_back(self) -> None:
        for repository, before in zip(self._repositories, self._before, strict=True):
            repository.restore(before)
        self.written.clear()
        self.rollbacks += 1

    async def execute(self, sql: str, args: Any = None) -> int:
        raise SqlReachedFakeError(sql)

    async def fetchone(self, sql: str, args: Any = None) -> tuple[Any, ...] | None:
        raise SqlReachedFakeError(sql)

    async def fetchall(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        raise SqlReachedFakeError(sql)

    async def execute_batch(self, statements: Sequence[Statement]) -> list[StatementResult]:
        raise SqlReachedFakeError(statements[0][0] if statements else "an empty batch")

    async def commit_after(self, statements: Sequence[Statement]) -> list[StatementResult]:
        raise SqlReachedFakeError(statements[0][0] if statements else "an empty batch")


def fixed_context(
    uow: FakeUnitOfWork, *, source: str, now: datetime, new_id: UUID
) -> UseCaseContext:
    """The use cases' context over one fake unit of work, its clock stopped at ``now``
    and every new id ``new_id``."""
    return UseCaseContext(
        unit_of_work=lambda: uow, source=source, clock=lambda: now, new_id=lambda: new_id
    )


class _Rows(Generic[_Key, _Row]):
    """A table's rows by key; the fake unit of work copies them to roll back."""

    def __init__(self) -> None:
        self.rows: dict[_Key, _Row] = {}
        self.locked: list[_Key] = []
        """Keys read for update (or in share mode), in order."""

    def snapshot(self) -> object:
        return deepcopy(self.rows)

    def restore(self, snapshot: object) -> None:
        self.rows = cast(dict[_Key, _Row], snapshot)


def _page_after(key: PageKey, after: PageKey | None) -> bool:
    return after is None or (key.created_at, str(key.id)) > (after.created_at, str(after.id))


# --- order_service -----------------------------------------------------------------------


class FakeOrderRepository(OrderRepository, _Rows[UUID, Order]):
    def __init__(self, orders: Iterable[Order] = ()) -> None:
        _Rows.__init__(self)
        self.rows = {order.id: order for order in orders}

    async def add(self, order: Order) -> None:
        if order.id in self.rows:
            raise KeyError(f"order {order.id} is stored already")  # the primary key
        self.rows[order.id] = order

    async def get(self, order_id: UUID, *, for_update: bool = False) -> Order | None:
        if for_update:
            self.locked.append(order_id)
        return self.rows.get(order_id)

    async def save(self, order: Order) -> None:
        stored = self.rows.get(order.id)
        if stored is not None:  # an UPDATE changes these columns of an existing row only
            self.rows[order.id] = replace(
                stored, status=order.status, reason=order.reason, updated_at=order.updated_at
            )

    async def lock_pending_of(self, user_id: UUID) -> list[UUID]:
        pending = sorted(
            (o for o in self.orders if o.user_id == user_id and o.status is OrderStatus.PENDING),
            key=lambda o: (o.created_at, str(o.id)),
        )
        self.locked.extend(order.id for order in pending)
        return [order.id for order in pending]

    async def page(self, *, user_id: UUID | None, after: PageKey | None, limit: int) -> list[Order]:
        chosen = [
            order
            for order in self.orders
            if (user_id is None or order.user_id == user_id)
            and _page_after(PageKey(order.created_at, order.id), after)
        ]
        return sorted(chosen, key=lambda o: (o.created_at, str(o.id)))[:limit]

    @property
    def orders(self) -> list[Order]:
        return list(self.rows.values())


class FakeCustomerRepository(CustomerRepository, _Rows[UUID, Customer]):
    def __init__(self, customers: Iterable[Customer] = ()) -> None:
        _Rows.__init__(self)
        self.rows = {customer.user_id: customer for customer in customers}

    async def get(self, user_id: UUID, *, lock: RowLock = RowLock.NONE) -> Customer | None:
        if lock is not RowLock.NONE:
            self.locked.append(user_id)
        return self.rows.get(user_id)

    async def add_or_lock(self, customer: Customer) -> Customer | None:
        self.locked.append(customer.user_id)
        known = self.rows.get(customer.user_id)
        if known is None:
            self.rows[customer.user_id] = customer
        return known

    async def update(self, customer: Customer) -> None:
        if customer.user_id in self.rows:
            self.rows[customer.user_id] = customer


# --- user_service ------------------------------------------------------------------------


class FakeUserRepository(UserRepository, _Rows[UUID, User]):
    """Refuses a second user with one email or identity, as the UNIQUE indexes do."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        _Rows.__init__(self)
        self.rows = {user.id: deepcopy(user) for user in users}

    async def add(self, user: User) -> None:
        for stored in self.users:
            if stored.email == user.email:
                raise EmailAlreadyRegisteredError(user.email)
            if user.identity_key is not None and stored.identity_key == user.identity_key:
                raise IdentityAlreadyRegisteredError
        if user.id in self.rows:
            raise KeyError(f"user {user.id} is stored already")  # the primary key
        self.rows[user.id] = deepcopy(user)
        self.rows[user.id].spend_changes.clear()
        user.spend_changes.clear()

    async def get(self, user_id: UUID, *, for_update: bool = False) -> User | None:
        if for_update:
            self.locked.append(user_id)
        stored = self.rows.get(user_id)
        return deepcopy(stored) if stored is not None else None

    async def lock_many(self, user_ids: set[UUID]) -> set[UUID]:
        found = sorted((user_id for user_id in user_ids if user_id in self.rows), key=str)
        self.locked.extend(found)
        return set(found)

    async def exists(self, user_id: UUID) -> bool:
        return user_id in self.rows

    async def save(self, user: User) -> None:
        """Name, status and count overwrite; spend changes add to what is stored."""
        stored = self.rows.get(user.id)
        if stored is None:
            return
        stored.name, stored.status, stored.orders_count = user.name, user.status, user.orders_count
        for currency, change in user.spend_changes.items():
            _add_spend(stored, currency, change)
        user.spend_changes.clear()

    async def add_confirmed_orders(self, tally: ConfirmedOrdersTally) -> None:
        for user_id, added in tally.orders.items():
            self.rows[user_id].orders_count += added
        for (user_id, currency), amount in tally.spent.items():
            _add_spend(self.rows[user_id], currency, amount)

    async def page(self, *, after: PageKey | None, limit: int) -> list[User]:
        chosen = [u for u in self.users if _page_after(PageKey(u.created_at, u.id), after)]
        ordered = sorted(chosen, key=lambda u: (u.created_at, str(u.id)))[:limit]
        return [deepcopy(user) for user in ordered]

    @property
    def users(self) -> list[User]:
        return list(self.rows.values())


def _add_spend(stored: User, currency: str, change: Decimal) -> None:
    amount = stored.total_spent.get(currency, Decimal(0)) + change
    if amount < 0:  # the CHECK on user_spend
        raise ValueError(f"user {stored.id} would spend {amount} {currency}")
    if amount:
        stored.total_spent[currency] = amount
    else:
        stored.total_spent.pop(currency, None)


class FakeOrderLedgerRepository(OrderLedgerRepository, _Rows[UUID, OrderLedgerEntry]):
    def __init__(self, entries: Iterable[OrderLedgerEntry] = ()) -> None:
        _Rows.__init__(self)
        self.rows = {entry.order_id: deepcopy(entry) for entry in entries}

    async def entry_for(self, order_id: UUID, user_id: UUID, total: Money) -> OrderLedgerEntry:
        self.rows.setdefault(order_id, OrderLedgerEntry(order_id, user_id, total))
        self.locked.append(order_id)
        return deepcopy(self.rows[order_id])

    async def entries_for_many(
        self, orders: list[tuple[UUID, UUID, Money]]
    ) -> dict[UUID, OrderLedgerEntry]:
        return {
            order_id: await self.entry_for(order_id, user_id, total)
            for order_id, user_id, total in orders
        }

    async def add_new_many(self, entries: list[OrderLedgerEntry]) -> bool:
        if any(entry.order_id in self.rows for entry in entries):
            return False
        for entry in entries:
            self.rows[entry.order_id] = deepcopy(entry)
        return True

    async def save_many(self, entries: list[OrderLedgerEntry]) -> None:
        for entry in entries:
            await self.save(entry)

    async def save(self, entry: OrderLedgerEntry) -> None:
        stored = self.rows.get(entry.order_id)
        if stored is not None:  # the facts are written; who and how much stay as stored
            stored.confirmed_at = entry.confirmed_at
            stored.cancelled_at = entry.cancelled_at
            stored.cancelled_from = entry.cancelled_from

    @property
    def entries(self) -> list[OrderLedgerEntry]:
        return list(self.rows.values())


class FakeNotificationRepository(NotificationRepository, _Rows[UUID, Notification]):
    """One notification of a kind per order, as the ``notifications_once`` key holds."""

    def __init__(self, notifications: Iterable[Notification] = ()) -> None:
        _Rows.__init__(self)
        self.rows = {notification.id: notification for notification in notifications}

    async def add(self, notification: Notification) -> None:
        if not await self.add_once(notification):
            raise KeyError(f"a {notification.kind} notification of this order exists")

    async def add_once(self, notification: Notification) -> bool:
        if notification.order_id is not None and any(
            stored.kind == notification.kind and stored.order_id == notification.order_id
            for stored in self.notifications
        ):
            return False
        self.rows[notification.id] = notification
        return True

    async def latest_for(self, user_id: UUID, limit: int) -> list[Notification]:
        mine = [n for n in self.notifications if n.user_id == user_id]
        return sorted(mine, key=lambda n: (n.created_at, str(n.id)), reverse=True)[:limit]

    @property
    def notifications(self) -> list[Notification]:
        return list(self.rows.values())


# ---------------------------------------------------------------------------------------
# A dead-letter sink, for the processor's tests.
# ---------------------------------------------------------------------------------------


class FakeDeadLetters:
    """A dead-letter sink keeping ``(body, reason, attempts)`` per record; the first
    ``failures_before_success`` calls fail as an unreachable broker would."""

    def __init__(self, failures_before_success: int = 0) -> None:
        self.records: list[tuple[bytes, str, int]] = []
        self.failures_left = failures_before_success

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("broker unreachable")
        self.records.append((message.body, reason, attempts))
