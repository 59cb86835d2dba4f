"""Shared building blocks for every component: event schemas and envelope,
broker clients (Kafka and RabbitMQ behind one interface), idempotent
consumption and settings."""
