"""How this process reaches Kafka, RabbitMQ and MySQL: one module per link builds every
client's connection options (TLS, SASL, credentials) and tells a misconfigured link,
which stops the process with one line, from an unreachable one, which is retried."""

from shared.links.check import LinkUnavailable, check_broker_links, routed_brokers, try_link
from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.links.mysql import (
    connect_mysql,
    mysql_connect_options,
    mysql_problem,
    require_encrypted,
)
from shared.links.problems import LinkMisconfigured
from shared.links.rabbitmq import connect_rabbitmq, connect_rabbitmq_robust, rabbitmq_address
from shared.links.tls import causes, client_context, describe_tls_failure, speaks_tls

__all__ = [
    "LinkMisconfigured",
    "LinkUnavailable",
    "causes",
    "check_broker_links",
    "client_context",
    "connect_mysql",
    "connect_rabbitmq",
    "connect_rabbitmq_robust",
    "describe_tls_failure",
    "kafka_client_options",
    "mysql_connect_options",
    "mysql_problem",
    "rabbitmq_address",
    "require_encrypted",
    "routed_brokers",
    "speaks_tls",
    "start_kafka_client",
    "try_link",
]
