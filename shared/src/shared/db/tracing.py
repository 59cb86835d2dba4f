"""CLIENT spans for the SQL a unit of work runs, when tracing is on.

No official OpenTelemetry instrumentation covers aiomysql, so a cursor class does
it: the pool hands it out only while tracing is on, so nothing is added otherwise.
Statements are parametrised (values never reach the SQL text), so the text is safe
to record. An error's message may quote the values (a duplicate e-mail), so a failed
statement's span records only the error's type and MySQL error code."""

from __future__ import annotations

from typing import Any

import aiomysql
from opentelemetry.trace import SpanKind

from shared.telemetry.db_errors import record_database_error
from shared.telemetry.tracing import tracer

_MAX_STATEMENT = 2000


class TracedCursor(aiomysql.Cursor):  # type: ignore[misc]
    async def execute(self, query: str, args: Any = None) -> int:
        return await self._traced(query, super().execute, query, args)

    async def executemany(self, query: str, args: Any) -> int:
        return await self._traced(query, super().executemany, query, args)

    async def _traced(self, query: str, run: Any, *arguments: Any) -> int:
        active = tracer()
        if active is None:
            return int(await run(*arguments))
        operation = query.lstrip().split(None, 1)[0].upper() if query.strip() else "SQL"
        connection = self.connection
        database = connection.db if connection is not None else None
        attributes: dict[str, str | int] = {
            "db.system.name": "mysql",
            "db.operation.name": operation,
            "db.query.text": query[:_MAX_STATEMENT],
        }
        if database:
            attributes["db.namespace"] = database
        if connection is not None:
            attributes["server.address"] = connection.host
            attributes["server.port"] = connection.port
        with active.start_as_current_span(
            f"{operation} {database}" if database else operation,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            # Not the SDK's recording: it keeps the message and the stack trace.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return int(await run(*arguments))
            except Exception as exc:
                record_database_error(span, exc)
                raise
