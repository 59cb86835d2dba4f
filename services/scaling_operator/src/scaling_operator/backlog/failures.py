"""Broker errors as one line for a status condition."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
