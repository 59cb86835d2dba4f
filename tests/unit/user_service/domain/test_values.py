"""Normalising emails, names and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from user_service.domain.values import exact_amount, normalise_email, normalise_name


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  ADA@Example.Com\t", "ada@example.com"),
        ("José@Example.com", "josé@example.com"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, normalised: str) -> None:
    assert normalise_email(raw) == normalised


@pytest.mark.parametrize("raw", ["", "   ", "ada", "ada@", "@example.com", "a@b@c", "a b@c.d"])
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an email"):
        normalise_email(raw)


def test_an_email_longer_than_254_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 254"):
        normalise_email("a" * 250 + "@b.cd")
    assert normalise_email(" " + "a" * 249 + "@b.cd ") == "a" * 249 + "@b.cd"


def test_names_are_trimmed_and_bounded() -> None:
    assert normalise_name("  Ada Lovelace ") == "Ada Lovelace"
    with pytest.raises(ValueError, match="blank"):
        normalise_name(" \n ")
    with pytest.raises(ValueError, match="at most 200"):
        normalise_name("x" * 201)


def test_amounts_are_kept_exactly_in_cents() -> None:
    assert str(exact_amount(Decimal("12.5"))) == "12.50"
    assert str(exact_amount(Decimal("0"))) == "0.00"
    with pytest.raises(ValueError, match="whole number of cents"):
        exact_amount(Decimal("0.001"))
    with pytest.raises(ValueError, match="whole number of cents"):
        exact_amount(Decimal("NaN"))
