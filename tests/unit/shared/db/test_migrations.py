"""What a migration file says about itself: its statements and what it replaces."""

from __future__ import annotations

from shared.db.migrations import Migration, platform_migrations


def test_a_replaces_header_names_the_versions_it_took_over() -> None:
    migration = Migration(
        "shared:0009_x",
        "-- replaces: a:0001_x, b:0002_x\n-- replaces: c:0003_x\nCREATE TABLE x (id INT);\n",
    )
    assert migration.replaces == {"a:0001_x", "b:0002_x", "c:0003_x"}
    assert migration.statements() == ["CREATE TABLE x (id INT)"]


def test_a_migration_without_the_header_replaces_nothing() -> None:
    migration = Migration("shared:0009_x", "-- replaces nothing: a comment\nSELECT 1;\n")
    assert migration.replaces == frozenset()


def test_the_platform_owns_the_idempotency_keys_table_once() -> None:
    by_version = {m.version: m for m in platform_migrations()}
    assert by_version["shared:0003_idempotency_keys"].replaces == {
        "user_service:0003_idempotency_keys",
        "order_service:0004_idempotency_keys",
    }
    assert by_version["shared:0004_idempotency_claim_held"].replaces == {
        "user_service:0004_idempotency_claim_held",
        "order_service:0005_idempotency_claim_held",
    }
