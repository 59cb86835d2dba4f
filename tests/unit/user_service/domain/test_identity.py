"""A user registered by an identity: the pair is kept, its key goes out with
user.registered, and what cannot be kept is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.identity import identity_key
from user_service.domain.errors import InvalidIdentityError
from user_service.domain.identity import IDENTITY_PART_MAX_LENGTH, Identity
from user_service.domain.user import User

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
AUTH0 = "https://tenant.eu.auth0.com/"


def test_registering_by_an_identity_keeps_it_and_announces_only_its_key() -> None:
    identity = Identity(AUTH0, "auth0|abc")
    user, event = User.register("ada@example.com", "Ada", now=NOW, identity=identity)
    assert user.identity == identity
    assert user.identity_key == event.identity_key == identity_key(AUTH0, "auth0|abc")
    assert "auth0|abc" not in event.model_dump_json()


def test_a_user_registered_for_nobody_announces_no_key() -> None:
    user, event = User.register("ada@example.com", "Ada", now=NOW)
    assert user.identity is None
    assert user.identity_key is event.identity_key is None


def test_the_identity_stays_out_of_the_users_repr() -> None:
    user, _ = User.register("ada@example.com", "Ada", now=NOW, identity=Identity(AUTH0, "s-1"))
    assert "s-1" not in repr(user)


@pytest.mark.parametrize(
    ("issuer", "subject"),
    [
        (AUTH0, " "),
        (AUTH0, "x" * (IDENTITY_PART_MAX_LENGTH + 1)),
        ("x" * (IDENTITY_PART_MAX_LENGTH + 1), "auth0|abc"),
        (AUTH0, "\ud800"),  # JSON lets a token carry it; MySQL cannot store it
    ],
)
def test_an_identity_the_columns_cannot_hold_is_refused(issuer: str, subject: str) -> None:
    with pytest.raises(InvalidIdentityError):
        Identity(issuer, subject)
