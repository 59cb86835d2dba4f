"""RabbitMQ secured: the TLS terminator in front of the local broker (amqps in front of
127.0.0.1:5672, guest/guest; https in front of the management API on 127.0.0.1:15672),
and users with unique names, tags and permissions made through the management API and
deleted at the end, e.g. the operator's management credentials (tag ``monitoring``)."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.messaging.permissions import RabbitMQRights as WorkloadRights
from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, accepts
from tests.support.secured.stunnel import tls_terminator

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
_MANAGEMENT_S = 60.0


@dataclass(frozen=True)
class SecuredRabbitMQ:
    """``url`` is amqps://guest:guest@localhost:<port>/ (or https://localhost:<port> for
    the management API); ``localhost`` matches the server certificate's name."""

    url: str
    port: int
    certs: Certificates


@dataclass(frozen=True)
class RabbitMQUser:
    name: str
    password: str
    tags: tuple[str, ...]


@contextlib.contextmanager
def amqps_endpoint(
    certs: Certificates, *, require_client_cert: bool = False
) -> Iterator[SecuredRabbitMQ]:
    _require_up(AMQP_PORT, "RabbitMQ")
    with tls_terminator(AMQP_PORT, certs, require_client_cert=require_client_cert) as port:
        yield SecuredRabbitMQ(f"amqps://guest:guest@localhost:{port}/", port, certs)


@contextlib.contextmanager
def management_https_endpoint(certs: Certificates) -> Iterator[SecuredRabbitMQ]:
    _require_up(MANAGEMENT_PORT, "RabbitMQ's management API (make servers enables it)")
    with tls_terminator(MANAGEMENT_PORT, certs) as port:
        yield SecuredRabbitMQ(f"https://localhost:{port}", port, certs)


@contextlib.contextmanager
def rabbitmq_user(
    *,
    tags: Sequence[str] = ("monitoring",),
    permissions: tuple[str, str, str] = ("^$", "^$", ".*"),
    prefix: str = "eda-test",
) -> Iterator[RabbitMQUser]:
    """A user with a unique name on vhost ``/``; ``permissions`` are the configure, write
    and read regexes (the default lets it read, enough for the management API's queues)."""
    # Hex: a password that a URL carries as it is.
    user = RabbitMQUser(f"{prefix}-{uuid.uuid4().hex[:10]}", secrets.token_hex(16), tuple(tags))
    configure, write, read = permissions
    management("PUT", f"users/{user.name}", {"password": user.password, "tags": ",".join(tags)})
    try:
        management(
            "PUT",
            f"permissions/%2F/{user.name}",
            {"configure": configure, "write": write, "read": read},
        )
        yield user
    finally:
        management("DELETE", f"users/{user.name}")


def _require_up(port: int, what: str, timeout_s: float = 30.0) -> None:
    """Wait for the shared server (another test may be restarting it, or the plugin
    coming up) before putting the terminator in front."""
    deadline = time.monotonic() + timeout_s
    while not accepts(port):
        if time.monotonic() > deadline:
            raise ChildFailed(
                f"{what} does not answer on 127.0.0.1:{port} after {timeout_s}s: run `make servers`"
            )
        time.sleep(0.1)


@contextlib.contextmanager
def workload_user(rights: WorkloadRights, exchange: str, prefix: str = "eda-wl") -> Iterator[str]:
    """A user with a unique name holding one workload's rights on vhost ``/``, its topic
    rights on ``exchange`` included; yields its amqp:// URL on the local broker."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    password = secrets.token_hex(16)
    management("PUT", f"users/{name}", {"password": password, "tags": ""})
    try:
        management(
            "PUT",
            f"permissions/%2F/{name}",
            {"configure": rights.configure, "write": rights.write, "read": rights.read},
        )
        management(
            "PUT",
            f"topic-permissions/%2F/{name}",
            {"exchange": exchange, "write": rights.topic_write, "read": rights.topic_read},
        )
        yield f"amqp://{name}:{password}@127.0.0.1:{AMQP_PORT}/"
    finally:
        management("DELETE", f"users/{name}")


def management(method: str, path: str, body: dict[str, str] | None = None) -> None:
    """One call to the local management API as guest (rabbitmqctl starts an Erlang VM per
    call: about a second each). A failure names the call, never a password."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{MANAGEMENT_PORT}/api/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": "Basic " + base64.b64encode(b"guest:guest").decode(),
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_MANAGEMENT_S):  # noqa: S310
            pass
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"RabbitMQ management API {method} /api/{path}: {exc.code}") from None
