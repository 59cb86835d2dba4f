"""``make run``: every component as a local process under one supervisor.

Checks MySQL and RabbitMQ, starts an embedded Kafka-compatible broker (Tansu) on
127.0.0.1:9092 unless EDA_KAFKA__BOOTSTRAP_SERVERS names a Kafka, migrates both
databases, then runs every process under the supervisor. Ctrl-C (or SIGTERM) stops
the HTTP services, lets the subscribers drain the embedded broker, stops them, and
stops the broker last; a second Ctrl-C stops everything at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from eda_local.checks import MissingServerError, require_servers
from eda_local.procfile import Layout, commands
from eda_local.provision import provision_queues
from eda_local.stopping import run_until_stopped
from eda_local.tansu import running_tansu
from order_service.config import SERVICE as ORDER_SERVICE
from shared.links import LinkMisconfigured, check_broker_links
from shared.service import migrate_database
from shared.settings import Settings, SettingsError, load_settings
from user_service.config import SERVICE as USER_SERVICE

EMBEDDED_KAFKA_PORT = 9092
KAFKA_NAME = "kafka"
# Tansu refuses the idempotent producer and answers fetches only at their deadline:
# a short one keeps local latency low, and a longer one once a consumer is idle keeps
# idle consumers from fetching a hundred times a second.
EMBEDDED_KAFKA_ENVIRONMENT = {
    "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
    "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
    "EDA_KAFKA__IDLE_FETCH_MAX_WAIT_MS": "200",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    layout = Layout(
        users_port=args.users_port,
        orders_port=args.orders_port,
        first_subscriber_port=args.first_subscriber_port,
        users_database=f"{args.database_prefix}users",
        orders_database=f"{args.database_prefix}orders",
    )
    try:
        settings = load_settings()
        require_servers(settings)
    except (SettingsError, MissingServerError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    try:
        with kafka(args.kafka_port) as environment:
            kafka_settings = settings.kafka.model_copy(
                update={"bootstrap_servers": environment["EDA_KAFKA__BOOTSTRAP_SERVERS"]}
            )
            settings = settings.model_copy(update={"kafka": kafka_settings})
            try:
                asyncio.run(prepare(settings, layout))
            except LinkMisconfigured as exc:
                print(f"make run: {exc}", file=sys.stderr)
                return 1
            print(banner(layout, environment["EDA_KAFKA__BOOTSTRAP_SERVERS"]), flush=True)
            outcome = asyncio.run(
                run_until_stopped(commands(layout), environment, settings, _name_width())
            )
    except KeyboardInterrupt:  # Ctrl-C while no process runs yet (or any more)
        print("make run: interrupted", flush=True)
        return 130
    print(f"make run: {outcome.summary}", flush=True)
    return outcome.code


def _parser() -> argparse.ArgumentParser:
    defaults = Layout()
    parser = argparse.ArgumentParser(prog="eda-local", description=__doc__)
    parser.add_argument("--users-port", type=int, default=defaults.users_port)
    parser.add_argument("--orders-port", type=int, default=defaults.orders_port)
    parser.add_argument("--first-subscriber-port", type=int, default=defaults.first_subscriber_port)
    parser.add_argument("--kafka-port", type=int, default=EMBEDDED_KAFKA_PORT)
    parser.add_argument("--database-prefix", default="", help="prefix of both database names")
    return parser


@contextlib.contextmanager
def kafka(port: int) -> Iterator[dict[str, str]]:
    # Commands of the system are found in this environment's bin folder.
    bin_folder = str(Path(sys.executable).parent)
    environment = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}"}
    # People read these logs in a terminal; JSON lines are for log collectors.
    environment.setdefault("EDA_LOG_FORMAT", "console")
    if "EDA_KAFKA__BOOTSTRAP_SERVERS" in os.environ:
        yield environment
        return
    print(f">> starting the embedded Kafka (Tansu) on 127.0.0.1:{port}")
    with running_tansu(port=port) as address:
        environment.update({"EDA_KAFKA__BOOTSTRAP_SERVERS": address, **EMBEDDED_KAFKA_ENVIRONMENT})
        yield environment
    # Stopped last, after every process that used it.
    print(f"{KAFKA_NAME:<{_name_width()}} | stopped", flush=True)


async def prepare(settings: Settings, layout: Layout) -> None:
    """Everything that must exist before the first process starts."""
    await migrate(settings, layout)
    await check_broker_links(settings)
    queues = await provision_queues(settings)
    if queues:
        print(">> RabbitMQ queues declared: " + ", ".join(queues))


async def migrate(settings: Settings, layout: Layout) -> None:
    for database, service in (
        (layout.users_database, USER_SERVICE),
        (layout.orders_database, ORDER_SERVICE),
    ):
        mysql = settings.mysql.model_copy(update={"database": database})
        applied = await migrate_database(service, mysql)
        print(f">> database {database}: " + (", ".join(applied) or "up to date"))


def _name_width() -> int:
    return max(len(KAFKA_NAME), *(len(command.name) for command in commands(Layout())))


def banner(layout: Layout, kafka_address: str) -> str:
    users = f"http://127.0.0.1:{layout.users_port}"
    orders = f"http://127.0.0.1:{layout.orders_port}"
    return f"""
  user-service   {users}   (API docs: {users}/docs)
  order-service  {orders}   (API docs: {orders}/docs)
  Kafka          {kafka_address}

  Try it:
    curl -s -X POST {users}/users -H 'content-type: application/json' \\
         -d '{{"email": "ada@example.com", "name": "Ada"}}'
    curl -s -X POST {orders}/orders -H 'content-type: application/json' \\
         -d '{{"user_id": "<id from above>", "currency": "EUR", \\
              "items": [{{"sku": "book", "quantity": 2, "unit_price": "12.50"}}]}}'
  then GET {orders}/orders/<order id> (confirmed) and GET {users}/users/<user id>.
  Ctrl-C stops everything.
"""


if __name__ == "__main__":
    sys.exit(main())
