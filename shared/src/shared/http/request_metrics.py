"""``http_server_request_duration_seconds`` for every response an app sends, those its
middleware refuses included (the OpenTelemetry HTTP semantic conventions).

Labels stay bounded: the route is the matched route's template, or ``unmatched``; a
method outside the standard ones is ``_OTHER``; the status is what the app sent (500
when it raised before sending one)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Histogram
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.telemetry.metrics import HTTP_SERVER_DURATION

STANDARD_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
OTHER_METHOD = "_OTHER"
UNMATCHED = "unmatched"


def method_label(method: str) -> str:
    return method if method in STANDARD_METHODS else OTHER_METHOD


def route_label(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that served the request; for a request refused before
    routing (or whose scope a middleware copied), the route it would have reached."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    partial: str | None = None
    for candidate in routes:
        if not isinstance(candidate, Route):
            continue
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return candidate.path
        if match is Match.PARTIAL and partial is None:
            partial = candidate.path  # the path matched, the method did not: a 405
    return partial or UNMATCHED


class RequestMetrics:
    """Outermost middleware: times each HTTP request until the app returns."""

    def __init__(self, app: ASGIApp, *, service: str, routes: Sequence[BaseRoute]) -> None:
        """``routes`` is the app's live route list (routes added later count)."""
        self._app = app
        self._service = service
        self._routes = routes
        self._children: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            self._histogram(scope, status).observe(time.perf_counter() - started)

    def _histogram(self, scope: Scope, status: int) -> Histogram:
        key = (method_label(scope["method"]), route_label(scope, self._routes), status)
        child = self._children.get(key)
        if child is None:
            child = HTTP_SERVER_DURATION.labels(self._service, key[0], key[1], str(status))
            self._children[key] = child
        return child
