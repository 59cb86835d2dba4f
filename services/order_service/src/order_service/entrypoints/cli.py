"""``order-service serve`` and ``order-service migrate``.

A bad setting or an unreachable database ends the command with one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from functools import partial

import pymysql

from order_service.adapters.schema import migrate_database, probe_database
from order_service.bootstrap import bootstrap, with_service_defaults
from order_service.config import SERVICE_NAME, ServiceSettings, load_service_settings
from order_service.entrypoints.app import create_app
from shared.db.migrations import MigrationError
from shared.heap import freeze_startup_heap
from shared.http.server import serve
from shared.messaging.routing import check_routes
from shared.settings import MySQLSettings, Settings, SettingsError, load_settings
from shared.telemetry.setup import TelemetrySetupError, init_telemetry


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = with_service_defaults(load_settings())
        service_settings = load_service_settings()
        check_routes(settings)
    except SettingsError as exc:
        return _fail(" ".join(str(exc).split()))
    try:
        if args.command == "migrate":
            return _migrate(settings)
        return _serve(settings, service_settings, args.host, args.port)
    except (pymysql.err.OperationalError, OSError) as exc:
        return _fail(_unreachable(settings.mysql, exc))
    except MigrationError as exc:
        return _fail(f"migration failed: {exc}")
    except TelemetrySetupError as exc:
        return _fail(str(exc))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=SERVICE_NAME, description="The order-service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API and the outbox relay")
    serve.add_argument("--host", help="address to listen on (default: EDA_HTTP_HOST)")
    serve.add_argument("--port", type=_port, help="port to listen on (default: EDA_HTTP_PORT)")
    commands.add_parser("migrate", help="create or update the database schema (idempotent)")
    return parser


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1..65535)")
    return port


def _migrate(settings: Settings) -> int:
    applied = asyncio.run(migrate_database(settings.mysql))
    database = settings.mysql.database
    if not applied:
        print(f"database {database} is up to date; nothing applied")
    for version in applied:
        print(f"applied {version} to {database}")
    return 0


def _serve(
    settings: Settings, service_settings: ServiceSettings, host: str | None, port: int | None
) -> int:
    init_telemetry(SERVICE_NAME)
    asyncio.run(probe_database(settings.mysql))
    app = create_app(service_settings, partial(bootstrap, settings), auth=settings.auth)
    freeze_startup_heap()
    serve(app, host or service_settings.http_host, port or service_settings.http_port)
    return 0


def _unreachable(mysql: MySQLSettings, exc: Exception) -> str:
    detail = exc.args[-1] if exc.args else exc
    return f"cannot use MySQL database {mysql.database} at {mysql.host}:{mysql.port}: {detail}"


def _fail(message: str) -> int:
    print(f"{SERVICE_NAME}: {message}", file=sys.stderr)
    return 1
