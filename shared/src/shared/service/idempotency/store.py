"""The ``idempotency_keys`` table: claim a key on the request's own connection (a read,
then a committed ``INSERT``), complete it in the request's transaction, release it when
nothing was changed.

A claim never waits on a row lock for longer than another claim's ``INSERT`` and
``COMMIT``: an existing row is read without locks, and only a claim left by a request
that died is locked, with ``NOWAIT``, to be taken over. The
claim token makes the completion conditional: a request whose claim was taken over
cannot commit its change.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pymysql
from pymysql.constants import ER

from shared.db.unit_of_work import UnitOfWork
from shared.settings import IdempotencySettings

# MariaDB answers NOWAIT with ER_LOCK_WAIT_TIMEOUT, MySQL with ER_LOCK_NOWAIT.
_LOCKED = {ER.LOCK_WAIT_TIMEOUT, 3572}
# Bodies are kept as text (the driver's bytes escaping is unusable here): latin-1 maps
# every byte to one character and back, so any body survives unchanged.
_BODY_TEXT = "latin-1"
_COLUMNS = (
    "fingerprint, response_status, response_headers, response_body,"
    " claimed_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND,"
    " created_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND"
)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    token: str


class InFlight:
    """Another request holds the key and has not finished."""


class OtherRequest:
    """The key was used for a request with another fingerprint."""


IN_FLIGHT = InFlight()
OTHER_REQUEST = OtherRequest()
ClaimOutcome = Claimed | StoredResponse | InFlight | OtherRequest


class ClaimLostError(RuntimeError):
    """The request's claim was taken over after ``claim_timeout_s``: its change must not
    commit, the request that took the key over decides."""


def _micros(seconds: float) -> int:
    return int(seconds * 1_000_000)


async def claim(
    uow: UnitOfWork,
    caller: str,
    key: str,
    fingerprint: str,
    settings: IdempotencySettings,
) -> ClaimOutcome:
    """Claim the key on the request's own connection, before its transaction: a plain
    read of the key's row, then, when there is none, one ``INSERT`` of the pending row,
    committed at once. The connection is left with no transaction open.

    The read comes first, without locks, because an ``INSERT`` meeting an existing row
    waits for that row's lock: a request completing it holds one until its commit, and
    a holder that stalls there would make every retry wait the lock wait timeout."""
    try:
        row = await _read(uow, caller, key, settings, lock=False)
        if row is not None:
            return await _claim_existing(
                uow, row, caller=caller, key=key, fingerprint=fingerprint, settings=settings
            )
        token = uuid4().hex
        try:
            await uow.execute(
                "INSERT INTO idempotency_keys (caller, idempotency_key, fingerprint, claim,"
                " claimed_at, created_at)"
                " VALUES (%s, %s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                (caller, key, fingerprint, token),
            )
        except pymysql.err.IntegrityError as exc:
            if exc.args[0] != ER.DUP_ENTRY:
                raise
            return IN_FLIGHT  # claimed by a concurrent request a moment ago
        # Not uow.commit(): the unit of work stays open for the request's own transaction.
        await uow.connection.commit()
        return Claimed(token)
    finally:
        if uow.connection.get_transaction_status():
            # Ends the read's snapshot and any lock; on a broken link the error that
            # broke it is the one to answer (503), and the pool discards the connection.
            with contextlib.suppress(Exception):
                await uow.connection.rollback()


async def _claim_existing(
    uow: UnitOfWork,
    row: tuple[Any, ...],
    *,
    caller: str,
    key: str,
    fingerprint: str,
    settings: IdempotencySettings,
) -> ClaimOutcome:
    decided = _decide(row, fingerprint)
    if decided is not None:
        return decided
    try:
        locked = await _read(uow, caller, key, settings, lock=True)
    except pymysql.err.OperationalError as exc:
        if exc.args[0] not in _LOCKED:
            raise
        return IN_FLIGHT  # the holder is committing, or another request takes it over
    decided = _decide(locked, fingerprint) if locked is not None else IN_FLIGHT
    if decided is not None:
        return decided
    token = uuid4().hex
    await uow.execute(
        "UPDATE idempotency_keys SET fingerprint = %s, claim = %s,"
        " claimed_at = UTC_TIMESTAMP(6), created_at = UTC_TIMESTAMP(6),"
        " response_status = NULL, response_headers = NULL, response_body = NULL"
        " WHERE caller = %s AND idempotency_key = %s",
        (fingerprint, token, caller, key),
    )
    await uow.connection.commit()
    return Claimed(token)


async def _read(
    uow: UnitOfWork, caller: str, key: str, settings: IdempotencySettings, *, lock: bool
) -> tuple[Any, ...] | None:
    return await uow.fetchone(
        f"SELECT {_COLUMNS} FROM idempotency_keys"  # noqa: S608 (constant columns)
        " WHERE caller = %s AND idempotency_key = %s" + (" FOR UPDATE NOWAIT" if lock else ""),
        (_micros(settings.claim_timeout_s), _micros(settings.retention_s), caller, key),
    )


def _decide(row: tuple[Any, ...], fingerprint: str) -> ClaimOutcome | None:
    """What a key's row answers; None when it may be taken over (left by a dead request,
    or kept past its retention and not purged yet)."""
    stored_fingerprint, status, headers, body, stale, expired = row
    if expired:
        return None
    if stored_fingerprint != fingerprint:
        return OTHER_REQUEST
    if status is not None:
        pairs = [(str(name), str(value)) for name, value in json.loads(headers)]
        return StoredResponse(int(status), pairs, str(body).encode(_BODY_TEXT))
    return None if stale else IN_FLIGHT


async def complete(
    uow: UnitOfWork, caller: str, key: str, token: str, response: StoredResponse
) -> None:
    """Store the response in the request's open transaction; raise ClaimLostError if the
    claim is no longer this request's."""
    updated = await uow.execute(
        "UPDATE idempotency_keys SET response_status = %s, response_headers = %s,"
        " response_body = %s"
        " WHERE caller = %s AND idempotency_key = %s AND claim = %s"
        " AND response_status IS NULL",
        (
            response.status,
            json.dumps(response.headers),
            response.body.decode(_BODY_TEXT),
            caller,
            key,
            token,
        ),
    )
    if updated != 1:
        raise ClaimLostError(f"the claim on {key!r} was taken over")


async def release(uow: UnitOfWork, caller: str, key: str, token: str) -> None:
    """Give the key up and commit: the request changed nothing, a retry runs it again."""
    await uow.execute(
        "DELETE FROM idempotency_keys WHERE caller = %s AND idempotency_key = %s"
        " AND claim = %s AND response_status IS NULL",
        (caller, key, token),
    )
    await uow.commit()
