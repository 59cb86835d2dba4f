"""Kafka's default key partitioning (murmur2, as the Java client does), cheaper.

aiokafka's partitioner hashes every key byte by byte in Python: about 6 µs a message,
a quarter of the outbox relay's CPU. This one reads the key four bytes at a time and
remembers the hashes of recent keys (an aggregate's events share a key), and puts
every key on the same partition aiokafka and the Java client would.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
RECENT_KEYS = 65_536


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of the bytes, as an unsigned 32-bit integer."""
    length = len(data)
    h = _SEED ^ length
    words = length // 4
    for word in struct.unpack_from(f"<{words}I", data):
        k = (word * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    if tail:
        rest = data[words * 4 :]
        if tail == 3:
            h ^= rest[2] << 16
        if tail >= 2:
            h ^= rest[1] << 8
        h ^= rest[0]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


@lru_cache(maxsize=RECENT_KEYS)
def _positive_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


def partition_for(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """aiokafka's partitioner interface; a message without a key goes anywhere."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[_positive_hash(key) % len(all_partitions)]
