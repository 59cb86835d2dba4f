"""Say clearly which server is missing before anything starts."""

from __future__ import annotations

import socket

from shared.links import rabbitmq_address
from shared.settings import Settings


class MissingServerError(RuntimeError):
    pass


def reachable(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def require_servers(settings: Settings) -> None:
    problems = []
    mysql = settings.mysql
    if not reachable(mysql.host, mysql.port):
        problems.append(
            f"MySQL is not reachable at {mysql.host}:{mysql.port}. Start one, or point at one"
            " with EDA_MYSQL__HOST / EDA_MYSQL__PORT / EDA_MYSQL__USER / EDA_MYSQL__PASSWORD."
        )
    rabbit_host, _, port = rabbitmq_address(settings.rabbitmq.url).rpartition(":")
    rabbit_port = int(port)
    if not reachable(rabbit_host, rabbit_port):
        problems.append(
            f"RabbitMQ is not reachable at {rabbit_host}:{rabbit_port}. Start one, or point at"
            " one with EDA_RABBITMQ__URL=amqp://user:password@host:port/."
        )
    if problems:
        raise MissingServerError("\n".join(problems))
