"""eda dlq: the dead-lettered messages of each subscriber, on Kafka and RabbitMQ."""

from eda_cli.dlq.command import register, run

__all__ = ["register", "run"]
