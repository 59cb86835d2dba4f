"""The publisher's partitioner puts every key where aiokafka's (and Kafka's Java client) would."""

from __future__ import annotations

import random
import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference_murmur2

from shared.messaging.kafka.partitioner import murmur2, partition_for

# Published values of Kafka's murmur2 (from the Java client's test suite).
KNOWN = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def test_murmur2_matches_the_java_client() -> None:
    for key, expected in KNOWN.items():
        assert murmur2(key) == expected & 0xFFFFFFFF, key


def test_murmur2_matches_aiokafka_for_every_tail_length() -> None:
    rng = random.Random(7)
    for length in range(0, 70):
        for _ in range(20):
            key = rng.randbytes(length)
            assert murmur2(key) == reference_murmur2(key), key


def test_partition_matches_the_default_partitioner() -> None:
    reference = DefaultPartitioner()
    for partitions in (1, 3, 6, 7, 64):
        every = list(range(partitions))
        for _ in range(200):
            key = str(uuid.uuid4()).encode()
            assert partition_for(key, every, every) == reference(key, every, every)
            # A repeated key (answered from the cache) lands on the same partition.
            assert partition_for(key, every, every) == reference(key, every, every)


def test_a_message_without_key_goes_to_an_available_partition() -> None:
    for _ in range(50):
        assert partition_for(None, [0, 1, 2, 3], [2]) == 2
        assert partition_for(None, [0, 1, 2], []) in {0, 1, 2}
