"""How this process reaches Kafka, RabbitMQ and MySQL: one module per link builds every
client's connection options (TLS, SASL, credentials) and tells a misconfigured link,
which stops the process with one line, from an unreachable one, which is retried."""

from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.links.mysql import mysql_connect_options, mysql_problem, require_encrypted
from shared.links.problems import LinkMisconfigured
from shared.links.rabbitmq import connect_rabbitmq, connect_rabbitmq_robust, rabbitmq_address

__all__ = [
    "LinkMisconfigured",
    "connect_rabbitmq",
    "connect_rabbitmq_robust",
    "kafka_client_options",
    "mysql_connect_options",
    "mysql_problem",
    "rabbitmq_address",
    "require_encrypted",
    "start_kafka_client",
]
