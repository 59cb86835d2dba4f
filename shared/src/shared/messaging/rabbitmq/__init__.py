"""RabbitMQ adapter (aio-pika): topic exchange, routing key = event type,
a quorum queue per subscriber.

The same modules as ``kafka/`` for the same jobs: ``publisher``, ``consumer``,
``dead_letters``, ``topology``; names come from ``shared.messaging.names``. Outside
``shared``, only what is listed here is used (an import-linter contract keeps the
modules below private)."""

from shared.messaging.rabbitmq.consumer import RabbitMQConsumer
from shared.messaging.rabbitmq.publisher import RabbitMQPublisher
from shared.messaging.rabbitmq.topology import declare_subscriber_queue

__all__ = ["RabbitMQConsumer", "RabbitMQPublisher", "declare_subscriber_queue"]
