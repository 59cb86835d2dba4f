"""RabbitMQ adapter (aio-pika): topic exchange, routing key = event type,
a quorum queue per subscriber."""

from shared.messaging.rabbitmq.consumer import RabbitMQConsumer
from shared.messaging.rabbitmq.publisher import RabbitMQPublisher

__all__ = ["RabbitMQConsumer", "RabbitMQPublisher"]
