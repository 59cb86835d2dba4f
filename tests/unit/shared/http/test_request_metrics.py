"""Bounded labels of ``http_server_request_duration_seconds``, on a bare Starlette app."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.request_metrics import (
    OTHER_METHOD,
    UNMATCHED,
    RequestMetrics,
    RouteRecorder,
    RouteTemplates,
    method_label,
)
from tests.support.request_metrics import requests_counted

SERVICE = "unit-request-metrics"


async def order(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.path_params["order_id"])


ROUTES = [Route("/orders/{order_id}", order, methods=["GET"])]


def count(method: str, route: str, status: int) -> float:
    return requests_counted(SERVICE, method, route, status)


def refusing(app: ASGIApp) -> ASGIApp:
    """A middleware that answers 409 to requests with ``x-conflict`` before routing, and
    runs the app on a copy of the scope otherwise (as the idempotency keys do)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"x-conflict", b"1") in scope["headers"]:
            await PlainTextResponse("conflict", status_code=409)(scope, receive, send)
            return
        await app({**scope}, receive, send)

    return middleware


def templates() -> list[str]:
    return [route.path for route in ROUTES]


def metered_app() -> Starlette:
    app = Starlette(routes=ROUTES)
    app.add_middleware(RouteRecorder)
    app.add_middleware(refusing)
    app.add_middleware(RequestMetrics, service=SERVICE, templates=templates)
    return app


def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=metered_app())
    return httpx.AsyncClient(transport=transport, base_url="http://unit")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "OPTIONS", "TRACE", "CONNECT"])
def test_standard_methods_are_their_own_label(method: str) -> None:
    assert method_label(method) == method


@pytest.mark.parametrize("method", ["PROPFIND", "get", "X" * 5000, ""])
def test_any_other_method_is_other(method: str) -> None:
    assert method_label(method) == OTHER_METHOD


def test_a_path_no_route_matches_is_unmatched() -> None:
    scope = {"type": "http", "method": "GET", "path": "/etc/passwd", "root_path": ""}
    assert RouteTemplates(templates).match(scope) == UNMATCHED


def test_a_path_is_matched_to_its_template_below_the_root_path() -> None:
    scope = {"type": "http", "method": "GET", "path": "/api/orders/o-1", "root_path": "/api"}
    assert RouteTemplates(templates).match(scope) == "/orders/{order_id}"


async def test_a_request_is_counted_under_its_route_template() -> None:
    before = count("GET", "/orders/{order_id}", 200)
    async with client() as http:
        assert (await http.get("/orders/o-123")).status_code == 200
    assert count("GET", "/orders/{order_id}", 200) == before + 1
    assert count("GET", "/orders/o-123", 200) == 0


async def test_unknown_methods_and_paths_add_no_label_values() -> None:
    before = count(OTHER_METHOD, UNMATCHED, 404)
    async with client() as http:
        for attempt in range(3):
            response = await http.request("BREW", f"/random/{attempt}")
            assert response.status_code == 404
    assert count(OTHER_METHOD, UNMATCHED, 404) == before + 3


async def test_a_wrong_method_counts_under_the_route_it_reached() -> None:
    before = count("DELETE", "/orders/{order_id}", 405)
    async with client() as http:
        assert (await http.delete("/orders/o-1")).status_code == 405
    assert count("DELETE", "/orders/{order_id}", 405) == before + 1


async def test_a_response_a_middleware_sends_before_routing_is_counted() -> None:
    before = count("GET", "/orders/{order_id}", 409)
    async with client() as http:
        response = await http.get("/orders/o-9", headers={"x-conflict": "1"})
    assert response.status_code == 409
    assert count("GET", "/orders/{order_id}", 409) == before + 1
