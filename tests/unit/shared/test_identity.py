"""The key that names an identity outside the user-service: one per (issuer, subject),
never the same for two pairs, and the only identity user.registered carries."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.events import UserRegisteredV1
from shared.identity import identity_key, is_identity_key, same_identity

AUTH0 = "https://tenant.eu.auth0.com/"
ENTRA = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"


def test_a_key_is_64_hex_digits_and_the_same_for_the_same_identity() -> None:
    key = identity_key(AUTH0, "auth0|abc")
    assert is_identity_key(key)
    assert key == identity_key(AUTH0, "auth0|abc")


def test_the_subject_cannot_be_read_back_from_the_key() -> None:
    key = identity_key(AUTH0, "auth0|5f7c8ec7c33c6c004bbafe82")
    assert "auth0" not in key
    assert "5f7c8ec7" not in key


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_two_different_identities_never_share_a_key(
    issuer: str, subject: str, other_issuer: str, other_subject: str
) -> None:
    if (issuer, subject) != (other_issuer, other_subject):
        assert identity_key(issuer, subject) != identity_key(other_issuer, other_subject)


def test_moving_characters_between_issuer_and_subject_makes_another_identity() -> None:
    assert identity_key("https://a/", "bc") != identity_key("https://a/b", "c")
    assert identity_key("", "ab") != identity_key("a", "b")


def test_the_same_subject_at_another_issuer_is_another_identity() -> None:
    assert identity_key(AUTH0, "alice") != identity_key(ENTRA, "alice")
    assert not same_identity(identity_key(AUTH0, "alice"), ENTRA, "alice")


def test_a_lone_surrogate_in_a_claim_still_has_a_key_of_its_own() -> None:
    assert identity_key(AUTH0, "\ud800") != identity_key(AUTH0, "\ud801")
    assert not same_identity(identity_key(AUTH0, "\ud800"), AUTH0, "?")


def test_no_key_is_nobody() -> None:
    assert not same_identity(None, AUTH0, "alice")
    assert same_identity(identity_key(AUTH0, "alice"), AUTH0, "alice")


def registered(**data: object) -> UserRegisteredV1:
    return UserRegisteredV1.model_validate(
        {
            "user_id": str(uuid4()),
            "email": "ada@example.com",
            "name": "Ada",
            "registered_at": datetime(2026, 3, 1, tzinfo=UTC).isoformat(),
        }
        | data
    )


def test_user_registered_carries_the_key_and_reads_events_without_one() -> None:
    key = identity_key(AUTH0, "auth0|abc")
    assert registered(identity_key=key).identity_key == key
    assert registered().identity_key is None  # published before identities were kept


@pytest.mark.parametrize("bad", ["auth0|abc", "A" * 64, "0" * 63, ""])
def test_user_registered_refuses_anything_but_a_key(bad: str) -> None:
    with pytest.raises(ValidationError):
        registered(identity_key=bad)
