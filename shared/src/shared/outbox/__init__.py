"""Transactional outbox: write events with the change, publish them with a relay."""
