"""Serve an ASGI app with uvicorn until SIGTERM or SIGINT, exiting 0 after a graceful stop."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

KEEP_ALIVE_S = 75


def serve(app: ASGIApp, host: str, port: int, *, limit_concurrency: int | None = None) -> None:
    """``limit_concurrency`` (EDA_HTTP_LIMIT_CONCURRENCY): above this many open connections
    or requests in progress uvicorn answers 503 at once rather than queueing in memory."""
    # uvicorn stops gracefully on SIGTERM/SIGINT and then raises the signal again with
    # the previous handler: after a graceful stop the process should exit 0, not die
    # of the signal (Kubernetes and supervisors read that as a crash).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    # Logging is the process's (shared.telemetry.logs); requests are counted and
    # traced, so no access line per request. Idle connections are kept longer than
    # clients and load balancers keep theirs (httpx 5 s, cloud balancers 60 s): with
    # uvicorn's 5 s default, a client reusing a connection just as the server closed
    # it got "server disconnected without sending a response".
    uvicorn.run(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=limit_concurrency,
    )


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
