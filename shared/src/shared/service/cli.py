"""``<service> serve`` and ``<service> migrate``, the same for every service.

A bad setting, an unusable database or a misconfigured link (a wrong password, a
certificate that does not verify) ends the command with one line on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

import pymysql
from fastapi import FastAPI

from shared.db.migrations import MigrationError
from shared.heap import freeze_startup_heap
from shared.http.jwks import check_identity_provider
from shared.http.observability import MetricsPortError, serve_metrics
from shared.http.server import serve
from shared.links.check import check_broker_links
from shared.links.problems import LinkMisconfigured
from shared.service.definition import ServiceDefinition
from shared.service.schema import check_database, migrate_database
from shared.service.settings import ServiceSettings
from shared.settings import MySQLSettings, SettingsError
from shared.telemetry.setup import TelemetrySetupError, init_telemetry

_MISSING_SCHEMA = {1049, 1146}  # unknown database, unknown table


def run_service_cli(
    service: ServiceDefinition,
    argv: Sequence[str] | None,
    *,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
) -> int:
    args = _parser(service).parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(service, _one_line(exc))
    mysql = settings.platform.mysql
    try:
        if args.command == "migrate":
            return _migrate(service, mysql)
        return _serve(service, settings, create_app, args.host, args.port)
    except (TelemetrySetupError, LinkMisconfigured, MetricsPortError) as exc:
        return _fail(service, str(exc))
    except MigrationError as exc:
        return _fail(service, f"migration failed: {exc}")
    except (pymysql.err.OperationalError, pymysql.err.ProgrammingError, OSError) as exc:
        return _fail(service, _database_problem(service, mysql, exc))


def _parser(service: ServiceDefinition) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=service.name, description=service.summary)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="run the HTTP API and the outbox relay")
    serve_command.add_argument("--host", help="address to listen on (default: EDA_HTTP_HOST)")
    serve_command.add_argument(
        "--port", type=_port, help="port to listen on (default: EDA_HTTP_PORT)"
    )
    commands.add_parser("migrate", help="create or update the database schema (idempotent)")
    return parser


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1..65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1..65535)")
    return port


def _migrate(service: ServiceDefinition, mysql: MySQLSettings) -> int:
    applied = asyncio.run(migrate_database(service, mysql))
    for version in applied:
        print(f"applied {version} to {mysql.database}")
    if not applied:
        print(f"database {mysql.database!r} is up to date; nothing to apply")
    return 0


def _serve(
    service: ServiceDefinition,
    settings: ServiceSettings,
    create_app: Callable[[ServiceSettings], FastAPI],
    host: str | None,
    port: int | None,
) -> int:
    init_telemetry(service.name)
    host = host or settings.http.http_host
    port = port or settings.http_port
    metrics_port = settings.http.metrics_port
    if metrics_port is not None:
        if metrics_port == port:
            raise MetricsPortError(f"EDA_METRICS_PORT {metrics_port} is the API's own port")
        serve_metrics(host, metrics_port)
    # Fail here with one line rather than in the lifespan with a traceback.
    asyncio.run(_check_links(service, settings))
    app = create_app(settings)
    freeze_startup_heap()
    serve(app, host, port, limit_concurrency=settings.http.http_limit_concurrency)
    return 0


async def _check_links(service: ServiceDefinition, settings: ServiceSettings) -> None:
    await check_identity_provider(settings.platform.auth)
    await check_database(service, settings.platform.mysql)
    await check_broker_links(settings.platform)


def _one_line(exc: SettingsError) -> str:
    head, *problems = str(exc).splitlines()
    return " ".join([head, "; ".join(problem.strip() for problem in problems)]).strip()


def _database_problem(service: ServiceDefinition, mysql: MySQLSettings, exc: Exception) -> str:
    where = f"MySQL database {mysql.database!r} at {mysql.host}:{mysql.port}"
    code = exc.args[0] if exc.args else None
    reason = exc.args[-1] if exc.args else exc
    if code in _MISSING_SCHEMA:
        return f"{where} is not migrated ({reason}); run `{service.name} migrate` first"
    return f"cannot use {where}: {reason}"


def _fail(service: ServiceDefinition, message: str) -> int:
    print(f"{service.name}: {message}", file=sys.stderr)
    return 1
