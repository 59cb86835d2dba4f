"""``http_server_request_duration_seconds`` for every response an app sends, those its
middleware refuses included (the OpenTelemetry HTTP semantic conventions).

Labels stay bounded: the route is the matched route's template, or ``unmatched``; a
method outside the standard ones is ``_OTHER``; the status is what the app sent (500
when it raised before sending one).

Two middlewares: ``RequestMetrics``, outermost, times the request and puts a slot in
the scope; ``RouteRecorder``, innermost, writes the template of the route the router
chose into it. The slot is one object, so it reaches the router's scope even through a
middleware that runs the app on a copy of the scope (the idempotency keys do). A
request refused before routing is matched against the app's route templates."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from prometheus_client import Histogram
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.telemetry.metrics import HTTP_SERVER_DURATION

STANDARD_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
OTHER_METHOD = "_OTHER"
UNMATCHED = "unmatched"
_SLOT = "eda.route_slot"


def method_label(method: str) -> str:
    return method if method in STANDARD_METHODS else OTHER_METHOD


class _RouteSlot:
    __slots__ = ("template",)

    def __init__(self) -> None:
        self.template: str | None = None


class RouteTemplates:
    """Matches a path against route templates (``/orders/{order_id}``), compiled once
    on first use, when every route is known."""

    def __init__(self, templates: Callable[[], Iterable[str]]) -> None:
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def match(self, scope: Scope) -> str:
        if self._compiled is None:
            self._compiled = [(compile_path(path)[0], path) for path in self._templates()]
        path = str(scope["path"])
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :]
        for pattern, template in self._compiled:
            if pattern.match(path):
                return template
        return UNMATCHED


class RouteRecorder:
    """Innermost middleware: the template of the route the router chose, for
    ``RequestMetrics``."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._app(scope, receive, send)
        finally:
            slot = scope.get(_SLOT)
            route = scope.get("route")
            if isinstance(slot, _RouteSlot) and isinstance(route, BaseRoute):
                slot.template = getattr(route, "path", None)


class RequestMetrics:
    """Outermost middleware: times each HTTP request until the app returns.
    ``templates`` gives the app's route templates, for requests refused before
    routing."""

    def __init__(
        self, app: ASGIApp, *, service: str, templates: Callable[[], Iterable[str]]
    ) -> None:
        self._app = app
        self._service = service
        self._templates = RouteTemplates(templates)
        self._children: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        slot = scope[_SLOT] = _RouteSlot()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            route = slot.template or self._templates.match(scope)
            self._histogram(scope["method"], route, status).observe(time.perf_counter() - started)

    def _histogram(self, method: str, route: str, status: int) -> Histogram:
        key = (method_label(method), route, status)
        child = self._children.get(key)
        if child is None:
            child = HTTP_SERVER_DURATION.labels(self._service, key[0], route, str(status))
            self._children[key] = child
        return child
