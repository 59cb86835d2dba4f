"""The ``idempotency_keys`` table (decision 25): claim a key on the request's own
connection, complete it with the response as the request commits, release it when
nothing was changed.

Every statement that writes a key's row goes in one batch with its ``COMMIT`` (the
server runs a batch in order and stops at the first statement that fails), so no key's
row is ever locked while an answer travels to the client and back: a claim meeting a
locked row waits only for the rest of another batch, never for a client. The claim
token makes the completion conditional: a request whose claim was taken over cannot
commit its change, because its completion then writes an empty claim, which the
table's ``CHECK (claim <> '')`` refuses, and the batch stops before its ``COMMIT``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pymysql

from shared.db.unit_of_work import Statement, UnitOfWork
from shared.settings import IdempotencySettings

# A CHECK constraint broken: MySQL's code, then MariaDB's.
_CHECK_FAILED = {3819, 4025}
# Bodies are kept as text (the driver's bytes escaping is unusable here): latin-1 maps
# every byte to one character and back, so any body survives unchanged.
_BODY_TEXT = "latin-1"
_READ = (
    "SELECT claim, fingerprint, response_status, response_headers, response_body,"
    " claimed_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND,"
    " created_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND"
    " FROM idempotency_keys WHERE caller = %s AND idempotency_key = %s"
)
_COMMIT: Statement = ("COMMIT", ())


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
    """Claim the key on the request's own connection, before its transaction: insert a
    pending row and commit it, in one round trip. The connection is left with no
    transaction open.

    A key that has a row already is read (a second round trip) and decided by it:
    another fingerprint, a stored response, a request in flight; only a row left by a
    request that died, or kept past its retention, is taken over (a third)."""
    token = uuid4().hex
    # Not uow.commit_after(): the unit of work stays open for the request's transaction.
    inserted, _ = await uow.execute_batch(
        [
            (
                "INSERT INTO idempotency_keys (caller, idempotency_key, fingerprint, claim,"
                " claimed_at, created_at)"
                " VALUES (%s, %s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"
                " ON DUPLICATE KEY UPDATE claim = claim",  # a no-op: 0 rows affected
                (caller, key, fingerprint, token),
            ),
            _COMMIT,
        ]
    )
    if inserted.affected == 1:
        return Claimed(token)
    # A plain read (no lock to wait for), in a transaction of its own that ends with it,
    # sees the row as last committed.
    read, _ = await uow.execute_batch(
        [
            (
                _READ,
                (_micros(settings.claim_timeout_s), _micros(settings.retention_s), caller, key),
            ),
            ("ROLLBACK", ()),
        ]
    )
    if not read.rows:
        return IN_FLIGHT  # released or purged a moment ago: the client retries
    row = read.rows[0]
    decided = _decide(row, fingerprint)
    if decided is not None:
        return decided
    return await _take_over(uow, caller, key, fingerprint, settings, held_by=row[0])


async def _take_over(
    uow: UnitOfWork,
    caller: str,
    key: str,
    fingerprint: str,
    settings: IdempotencySettings,
    *,
    held_by: str,
) -> ClaimOutcome:
    """A conditional update, committed at once: it matches only while the row still is
    the one read (same claim, still stale or expired), so of two requests taking it over
    one wins and the other is told the key is in flight."""
    token = uuid4().hex
    updated, _ = await uow.execute_batch(
        [
            (
                "UPDATE idempotency_keys SET fingerprint = %s, claim = %s,"
                " claimed_at = UTC_TIMESTAMP(6), created_at = UTC_TIMESTAMP(6),"
                " response_status = NULL, response_headers = NULL, response_body = NULL"
                " WHERE caller = %s AND idempotency_key = %s AND claim = %s"
                " AND ((response_status IS NULL"
                " AND claimed_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND)"
                " OR created_at < UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND)",
                (
                    fingerprint,
                    token,
                    caller,
                    key,
                    held_by,
                    _micros(settings.claim_timeout_s),
                    _micros(settings.retention_s),
                ),
            ),
            _COMMIT,
        ]
    )
    return Claimed(token) if updated.affected == 1 else IN_FLIGHT


def _decide(row: tuple[Any, ...], fingerprint: str) -> ClaimOutcome | None:
    """What a key's row answers; None when it may be taken over (left by a dead request,
    or kept past its retention and not purged yet)."""
    _, stored_fingerprint, status, headers, body, stale, expired = row
    if expired:
        return None
    if stored_fingerprint != fingerprint:
        return OTHER_REQUEST
    if status is not None:
        pairs = [(str(name), str(value)) for name, value in json.loads(headers)]
        return StoredResponse(int(status), pairs, str(body).encode(_BODY_TEXT))
    return None if stale else IN_FLIGHT


async def complete_and_commit(
    uow: UnitOfWork,
    caller: str,
    key: str,
    *,
    token: str,
    fingerprint: str,
    response: StoredResponse,
) -> None:
    """Store the response in the request's open transaction and commit, in one round
    trip; raise ClaimLostError, with nothing committed, if the claim is no longer this
    request's.

    The key's row normally holds this request's claim; a row purged or released
    meanwhile is written again, with the response. A row another request took over
    gets an empty claim, which the table's CHECK refuses: the batch stops before its
    ``COMMIT``."""
    headers = json.dumps(response.headers)
    body = response.body.decode(_BODY_TEXT)
    try:
        await uow.commit_after(
            [
                (
                    "INSERT INTO idempotency_keys (caller, idempotency_key, fingerprint, claim,"
                    " claimed_at, created_at, response_status, response_headers,"
                    " response_body)"
                    " VALUES (%s, %s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), %s, %s, %s)"
                    # claim first: its condition reads the row as it was.
                    " ON DUPLICATE KEY UPDATE"
                    " claim = IF(claim = %s AND response_status IS NULL, claim, ''),"
                    " response_status = %s, response_headers = %s, response_body = %s",
                    (
                        caller,
                        key,
                        fingerprint,
                        token,
                        response.status,
                        headers,
                        body,
                        token,
                        response.status,
                        headers,
                        body,
                    ),
                )
            ]
        )
    except pymysql.err.MySQLError as exc:
        if not exc.args or exc.args[0] not in _CHECK_FAILED:
            raise
        raise ClaimLostError(f"the claim on {key!r} was taken over") from exc


async def release(uow: UnitOfWork, caller: str, key: str, token: str) -> None:
    """Give the key up and commit: the request changed nothing, a retry runs it again."""
    await uow.commit_after(
        [
            (
                "DELETE FROM idempotency_keys WHERE caller = %s AND idempotency_key = %s"
                " AND claim = %s AND response_status IS NULL",
                (caller, key, token),
            )
        ]
    )
