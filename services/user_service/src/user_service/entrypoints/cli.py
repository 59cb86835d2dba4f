"""``user-service serve`` and ``user-service migrate``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import pymysql

from shared.db.migrations import MigrationError
from shared.heap import freeze_startup_heap
from shared.http.server import serve
from shared.settings import MySQLSettings, SettingsError
from shared.telemetry.setup import TelemetrySetupError, init_telemetry
from user_service.bootstrap import (
    UserServiceSettings,
    check_database,
    load_user_service_settings,
    migrate_database,
)
from user_service.bootstrap.settings import SERVICE_NAME
from user_service.entrypoints.app import create_app

_MISSING_SCHEMA = {1049, 1146}  # unknown database, unknown table


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_user_service_settings()
        if args.command == "migrate":
            return _migrate(settings)
        return _serve(settings, args.host, args.port)
    except SettingsError as exc:
        return _fail(_one_line(exc))
    except TelemetrySetupError as exc:
        return _fail(str(exc))
    except MigrationError as exc:
        return _fail(f"migration failed: {exc}")
    except (pymysql.err.OperationalError, pymysql.err.ProgrammingError, OSError) as exc:
        return _fail(_database_problem(settings.platform.mysql, exc))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=SERVICE_NAME, description="The users HTTP service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API and the outbox relay")
    serve.add_argument("--host", help="interface to listen on (default EDA_HTTP_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default EDA_HTTP_PORT)")
    commands.add_parser("migrate", help="create the database and apply pending migrations")
    return parser


def _migrate(settings: UserServiceSettings) -> int:
    mysql = settings.platform.mysql
    applied = asyncio.run(migrate_database(mysql))
    for version in applied:
        print(f"applied {version}")
    if not applied:
        print(f"database {mysql.database!r} is up to date; nothing to apply")
    return 0


def _serve(settings: UserServiceSettings, host: str | None, port: int | None) -> int:
    init_telemetry(SERVICE_NAME)
    # Fail here with one line rather than in the lifespan with a traceback.
    asyncio.run(check_database(settings.platform.mysql))
    app = create_app(settings)
    freeze_startup_heap()
    serve(
        app,
        host or settings.service.http_host,
        port or settings.service.http_port,
    )
    return 0


def _one_line(exc: SettingsError) -> str:
    head, *problems = str(exc).splitlines()
    return " ".join([head, "; ".join(problem.strip() for problem in problems)]).strip()


def _database_problem(mysql: MySQLSettings, exc: Exception) -> str:
    where = f"MySQL at {mysql.host}:{mysql.port}, database {mysql.database!r}"
    code = exc.args[0] if exc.args else None
    reason = exc.args[1] if len(exc.args) > 1 else exc
    if code in _MISSING_SCHEMA:
        return f"{where} is not migrated ({reason}); run `{SERVICE_NAME} migrate` first"
    return f"cannot use {where}: {reason}"


def _fail(message: str) -> int:
    print(f"{SERVICE_NAME}: {message}", file=sys.stderr)
    return 1
