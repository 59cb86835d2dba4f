"""The users context's use cases over fake repositories, at a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.service import UseCaseContext
from tests.support.fakes import (
    FakeNotificationRepository,
    FakeOrderLedgerRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    fixed_context,
)
from user_service.domain.user import User

SOURCE = "urn:eda:user-service"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def registered_user(email: str = "ada@example.com") -> User:
    user, _ = User.register(email, "Ada", now=NOW, user_id=uuid.uuid4())
    return user


@pytest.fixture
def users() -> FakeUserRepository:
    return FakeUserRepository()


@pytest.fixture
def ledger() -> FakeOrderLedgerRepository:
    return FakeOrderLedgerRepository()


@pytest.fixture
def notifications() -> FakeNotificationRepository:
    return FakeNotificationRepository()


@pytest.fixture
def uow(
    users: FakeUserRepository,
    ledger: FakeOrderLedgerRepository,
    notifications: FakeNotificationRepository,
) -> FakeUnitOfWork:
    return FakeUnitOfWork(users, ledger, notifications)


@pytest.fixture
def new_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def context(uow: FakeUnitOfWork, new_id: uuid.UUID) -> UseCaseContext:
    return fixed_context(uow, source=SOURCE, now=NOW, new_id=new_id)
