"""MySQL helpers (aiomysql): pool, unit of work, migrations, the inbox of consumed events
and keyset pages. What code outside ``shared`` uses is re-exported here."""

from shared.db.inbox import (
    UnitOfWorkBatchHandler,
    UnitOfWorkHandler,
    batch_handled_once,
    handled_once,
)
from shared.db.keyset import (
    InvalidCursorError,
    Page,
    PageKey,
    decode_cursor,
    encode_cursor,
    page_of,
)
from shared.db.migrations import (
    Migration,
    MigrationError,
    migrate,
    platform_migrations,
    service_migrations,
)
from shared.db.pool import ConnectionAcquireTimeout, create_pool, probe_database
from shared.db.statements import placeholders, row_placeholders
from shared.db.unit_of_work import UnitOfWork

__all__ = [
    "ConnectionAcquireTimeout",
    "InvalidCursorError",
    "Migration",
    "MigrationError",
    "Page",
    "PageKey",
    "UnitOfWork",
    "UnitOfWorkBatchHandler",
    "UnitOfWorkHandler",
    "batch_handled_once",
    "create_pool",
    "decode_cursor",
    "encode_cursor",
    "handled_once",
    "migrate",
    "page_of",
    "placeholders",
    "platform_migrations",
    "probe_database",
    "row_placeholders",
    "service_migrations",
]
