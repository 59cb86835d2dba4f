"""schemathesis against both services' OpenAPI documents, on the real apps over real
throwaway databases (relay off, so no broker; auth off, the default).

Every operation gets the schema's examples, schemathesis' coverage cases (boundaries
and each constraint broken in turn) and a bounded number of generated requests, valid
and invalid. Whatever arrives: never a 5xx, and every 4xx says what is wrong, a JSON
``detail`` and, for a 422, a message naming each field at fault.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from tests.support.mysql import mysql_settings_for_tests
from tests.support.service_apps import (
    ORDER_SERVICE,
    USER_SERVICE,
    build_app,
    throwaway_service_database,
)

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

MAX_EXAMPLES = 25


def _schema(service: str) -> schemathesis.BaseSchema:
    # The document does not depend on the database: the app is built, never started.
    app, _ = build_app(service, mysql_settings_for_tests())
    # /readyz answers 503 here by design: the outbox relay is not started in these tests.
    return schemathesis.openapi.from_dict(app.openapi()).exclude(path="/readyz")


users_schema = _schema(USER_SERVICE)
orders_schema = _schema(ORDER_SERVICE)


@contextlib.contextmanager
def _served(service: str) -> Iterator[FastAPI]:
    """The app on a throwaway database. schemathesis runs its lifespan on its own event
    loop at the first request; it is shut down here before the database is dropped."""
    with asyncio.Runner() as runner:
        database = throwaway_service_database(service)
        mysql = runner.run(database.__aenter__())
        try:
            app, _ = build_app(service, mysql)
            try:
                yield app
            finally:
                asgi.shutdown_lifespans()
        finally:
            runner.run(database.__aexit__(None, None, None))


@pytest.fixture(scope="module")
def users_app() -> Iterator[FastAPI]:
    with _served(USER_SERVICE) as app:
        yield app


@pytest.fixture(scope="module")
def orders_app() -> Iterator[FastAPI]:
    with _served(ORDER_SERVICE) as app:
        yield app


Case = schemathesis.Case[Any]


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def assert_answer_is_useful(case: Case, response: schemathesis.Response) -> None:
    def where() -> str:  # only worked out when an assertion fails
        return f"{case.operation.label} answered {response.status_code}\n{case.as_curl_command()}"

    assert response.status_code < 500, f"{where()}\n{response.text}"
    if response.status_code < 400:
        return
    body: Any = response.json()
    assert isinstance(body, dict), where()
    assert _text(body.get("detail")), f"{where()}: no useful detail in {body}"
    if response.status_code == 422:
        errors = body.get("errors")
        assert isinstance(errors, list), f"{where()}: no per-field errors in {body}"
        assert errors, f"{where()}: no per-field errors in {body}"
        for error in errors:
            assert _text(error.get("field")), (where(), error)
            assert _text(error.get("message")), (where(), error)


_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@users_schema.parametrize()
@_SETTINGS
def test_user_service_never_fails_and_explains_every_refusal(
    case: Case, users_app: FastAPI
) -> None:
    assert_answer_is_useful(case, case.call(app=users_app))


@orders_schema.parametrize()
@_SETTINGS
def test_order_service_never_fails_and_explains_every_refusal(
    case: Case, orders_app: FastAPI
) -> None:
    assert_answer_is_useful(case, case.call(app=orders_app))
