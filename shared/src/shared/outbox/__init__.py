"""Transactional outbox: write events with the change, publish them with a relay.
What code outside ``shared`` uses is re-exported here."""

from shared.outbox.relay import OutboxRelay
from shared.outbox.store import purge_published
from shared.outbox.writer import OutboxRows, add_to_outbox

__all__ = ["OutboxRelay", "OutboxRows", "add_to_outbox", "purge_published"]
