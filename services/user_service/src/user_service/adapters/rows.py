"""Conversions between domain values and MySQL column values."""

from __future__ import annotations

from datetime import UTC, datetime

import pymysql

DUPLICATE_KEY = 1062


def to_column(moment: datetime) -> datetime:
    """DATETIME(6) columns hold UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_column(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def is_duplicate_of(error: pymysql.err.IntegrityError, key: str) -> bool:
    args = error.args
    return len(args) >= 2 and args[0] == DUPLICATE_KEY and f"'{key}'" in str(args[1])
