"""Errors the order model raises; the HTTP layer maps them to 422 and 409."""

from __future__ import annotations


class DomainError(Exception):
    pass


class InvalidOrderError(DomainError, ValueError):
    """The order or a line breaks an invariant (count, quantity, price, currency, reason)."""


class IllegalTransitionError(DomainError):
    """The order's current status does not allow the requested change."""


class InvalidCustomerError(DomainError, ValueError):
    """A customer fact that cannot be recorded (a naive time, another user's fact)."""
