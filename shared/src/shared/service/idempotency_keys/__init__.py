"""``Idempotency-Key`` on every POST of a service (decisions 20 and 25): the first request with a
key runs and its response is stored in the transaction of its change; a retry with the
same key and request gets that response again, without writing or publishing anything.
"""

from shared.service.idempotency_keys.header import IDEMPOTENCY_KEY, REPLAYED
from shared.service.idempotency_keys.middleware import IdempotencyKeys
from shared.service.idempotency_keys.openapi import describe_idempotency_keys
from shared.service.idempotency_keys.purge import purge_expired_keys, purging_keys
from shared.service.idempotency_keys.transaction import RequestTransaction, request_transaction

__all__ = [
    "IDEMPOTENCY_KEY",
    "REPLAYED",
    "IdempotencyKeys",
    "RequestTransaction",
    "describe_idempotency_keys",
    "purge_expired_keys",
    "purging_keys",
    "request_transaction",
]
