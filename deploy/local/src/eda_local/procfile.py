"""The processes of the system: one command each, also written in Procfile form."""

from __future__ import annotations

from dataclasses import dataclass

from subscribers.catalog import SUBSCRIBERS


@dataclass(frozen=True, slots=True)
class Layout:
    """Ports and database names of one local run (the defaults are what the README says)."""

    users_port: int = 8001
    orders_port: int = 8002
    first_subscriber_port: int = 8101
    users_database: str = "users"
    orders_database: str = "orders"

    def subscriber_ports(self) -> dict[str, int]:
        return {
            event_type: self.first_subscriber_port + index
            for index, event_type in enumerate(sorted(SUBSCRIBERS))
        }

    def database_of(self, context: str) -> str:
        return self.users_database if context == "users" else self.orders_database


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    database: str
    argv: tuple[str, ...]
    # The HTTP services take orders and start every flow: they stop before the
    # subscribers, which then drain what is left.
    is_service: bool
    port: int

    def line(self) -> str:
        return f"{self.name}: EDA_MYSQL__DATABASE={self.database} {' '.join(self.argv)}"


def _service(name: str, database: str, port: int) -> Command:
    return Command(name, database, (name, "serve", "--port", str(port)), is_service=True, port=port)


def commands(layout: Layout) -> list[Command]:
    result = [
        _service("user-service", layout.users_database, layout.users_port),
        _service("order-service", layout.orders_database, layout.orders_port),
    ]
    for event_type, port in layout.subscriber_ports().items():
        database = layout.database_of(SUBSCRIBERS[event_type].context)
        # Procfile names allow no dots: user.registered runs as "user-registered".
        result.append(
            Command(
                event_type.replace(".", "-"),
                database,
                ("subscriber", event_type, "--port", str(port)),
                is_service=False,
                port=port,
            )
        )
    return result


def procfile(layout: Layout) -> str:
    return "\n".join(command.line() for command in commands(layout)) + "\n"
