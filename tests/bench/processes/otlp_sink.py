"""``python -m tests.bench.processes.otlp_sink PORT``: an OTLP/HTTP endpoint that accepts and
drops traces, in its own process so receiving costs the benchmark no CPU time."""

from __future__ import annotations

import sys

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

_RESPONSE = ExportTraceServiceResponse().SerializeToString()


async def _receive(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=_RESPONSE, content_type="application/x-protobuf")


def main() -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", _receive)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
