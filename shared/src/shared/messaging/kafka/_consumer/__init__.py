"""The Kafka consumer's internals: fetch wait, offset commits, stopping.

Private by name: only ``shared.messaging`` imports them (an import-linter contract)."""
