"""Create topics on first use, with the configured partition count."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.settings import KafkaSettings


class TopicProvisioner:
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._known: set[str] = set()
        self._lock = asyncio.Lock()

    async def ensure(self, topics: set[str], partitions: int | None = None) -> None:
        missing = topics - self._known
        if not missing:
            return
        async with self._lock:
            missing = topics - self._known
            if missing:
                await self._create(missing, partitions or self._settings.partitions)
                self._known |= missing

    async def _create(self, topics: set[str], partitions: int) -> None:
        admin = AIOKafkaAdminClient(
            **kafka_client_options(self._settings),
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        await start_kafka_client(admin, self._settings)
        try:
            existing = set(await admin.list_topics())
            wanted = [
                NewTopic(
                    name,
                    num_partitions=partitions,
                    replication_factor=self._settings.replication_factor,
                )
                for name in sorted(topics - existing)
            ]
            if wanted:
                # Another process may create it between list and create.
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(wanted)
        finally:
            await admin.close()
