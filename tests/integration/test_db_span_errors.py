"""A failed statement's span against the real MariaDB: a duplicate-key INSERT of an
e-mail leaves the error's type and code on the span, and the e-mail nowhere."""

from __future__ import annotations

from collections.abc import Iterator

import pymysql
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.db import UnitOfWork
from shared.telemetry.tracing import use_tracer_provider
from tests.support.mysql import database_pool, mysql_settings_for_tests, throwaway_database

# The user-service's app on a throwaway database.
pytestmark = [pytest.mark.mysql]

EMAIL = "ann.duplicate@example.com"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)  # before the pool: it hands out traced cursors only then
    try:
        yield exporter
    finally:
        use_tracer_provider(None)
        provider.shutdown()


async def test_a_duplicate_email_reaches_no_span(spans: InMemorySpanExporter) -> None:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database, database_pool(settings, database) as pool:
        async with UnitOfWork(pool) as uow:
            await uow.execute("CREATE TABLE people (email VARCHAR(100) PRIMARY KEY)")
            await uow.execute("INSERT INTO people (email) VALUES (%s)", (EMAIL,))
            await uow.commit()
        with pytest.raises(pymysql.err.IntegrityError) as raised:
            async with UnitOfWork(pool) as uow:
                await uow.execute("INSERT INTO people (email) VALUES (%s)", (EMAIL,))
        assert EMAIL in str(raised.value)  # the server's message does quote it

    finished = spans.get_finished_spans()
    [failed] = [span for span in finished if span.status.status_code is StatusCode.ERROR]
    assert failed.kind is SpanKind.CLIENT
    assert failed.attributes is not None
    assert failed.attributes["db.operation.name"] == "INSERT"
    assert failed.attributes["error.type"] == "pymysql.err.IntegrityError"
    assert failed.attributes["db.response.status_code"] == "1062"
    assert [(event.name, dict(event.attributes or {})) for event in failed.events] == [
        ("exception", {"exception.type": "pymysql.err.IntegrityError"})
    ]
    for span in finished:
        assert EMAIL not in span.to_json(), span.name
