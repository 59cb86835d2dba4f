"""The table the Idempotency-Key store writes: the same migrations in every service."""

from __future__ import annotations

from tests.support.service_apps import ORDER_SERVICE, UNDER_TEST, USER_SERVICE


def test_every_service_keeps_idempotency_keys_in_the_same_table() -> None:
    """One shape, one table: the middleware in shared writes both services' rows."""
    user, order = (
        {
            path.name.split("_", 1)[1]: path.read_text()
            for path in UNDER_TEST[name].definition.migrations_dir.glob("*_idempotency_*.sql")
        }
        for name in (USER_SERVICE, ORDER_SERVICE)
    )
    assert set(user) == {"idempotency_keys.sql", "idempotency_claim_held.sql"}
    assert user == order
