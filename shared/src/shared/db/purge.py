"""Delete old rows a chunk at a time, each chunk its own short transaction, so that a
long backlog of old rows never holds locks for long or fills the undo log."""

from __future__ import annotations

import aiomysql

from shared.db.unit_of_work import UnitOfWork

CHUNK = 5_000


async def delete_in_chunks(
    pool: aiomysql.Pool, delete: str, older_than_s: float, chunk: int = CHUNK
) -> int:
    """Run ``delete`` (a ``DELETE … LIMIT %s`` whose first marker is an age in
    microseconds) until a chunk deletes fewer than ``chunk`` rows; return how many.

    READ COMMITTED: no gap locks that could hold up the writers' inserts, and the
    relay's own isolation, so its connections need no SET."""
    total = 0
    while True:
        async with UnitOfWork(pool, isolation="READ COMMITTED") as uow:
            # The delete and its commit in one round trip: no lock is held while the
            # answer travels back.
            [result] = await uow.commit_after([(delete, (int(older_than_s * 1_000_000), chunk))])
        deleted = result.affected
        total += deleted
        if deleted < chunk:
            return total
