"""Broker-neutral messaging: one publisher/consumer interface, an adapter per broker."""
