"""The processes of the system, one line each, in Procfile form for honcho."""

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


def procfile(layout: Layout) -> str:
    lines = [
        f"user-service: EDA_MYSQL__DATABASE={layout.users_database}"
        f" user-service serve --port {layout.users_port}",
        f"order-service: EDA_MYSQL__DATABASE={layout.orders_database}"
        f" order-service serve --port {layout.orders_port}",
    ]
    for event_type, port in layout.subscriber_ports().items():
        database = layout.database_of(SUBSCRIBERS[event_type].context)
        # Procfile names allow no dots: user.registered runs as "user-registered".
        lines.append(
            f"{event_type.replace('.', '-')}: EDA_MYSQL__DATABASE={database}"
            f" subscriber {event_type} --port {port}"
        )
    return "\n".join(lines) + "\n"
