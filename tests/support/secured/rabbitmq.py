"""RabbitMQ secured: the TLS terminator in front of the local broker (amqps in front of
127.0.0.1:5672, guest/guest; https in front of the management API on 127.0.0.1:15672),
and users with unique names, tags and permissions made with rabbitmqctl (as root) and
deleted at the end, e.g. the operator's management credentials (tag ``monitoring``)."""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.messaging.permissions import RabbitMQRights as WorkloadRights
from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, accepts
from tests.support.secured.stunnel import tls_terminator

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
_RABBITMQCTL_S = 60.0


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
    # Hex: a password starting with "-" would be read as an option.
    user = RabbitMQUser(f"{prefix}-{uuid.uuid4().hex[:10]}", secrets.token_hex(16), tuple(tags))
    rabbitmqctl("add_user", user.name, user.password, hide=(user.password,))
    try:
        rabbitmqctl("set_user_tags", user.name, *user.tags)
        rabbitmqctl("set_permissions", "-p", "/", user.name, *permissions)
        yield user
    finally:
        rabbitmqctl("delete_user", user.name)


def rabbitmqctl(*arguments: str, hide: Sequence[str] = ()) -> str:
    """Run it; a failure's message shows none of ``hide`` (rabbitmqctl echoes its
    arguments, a password among them)."""
    completed = subprocess.run(
        ["rabbitmqctl", "--quiet", *arguments],
        capture_output=True,
        text=True,
        timeout=_RABBITMQCTL_S,
        check=False,
    )
    if completed.returncode != 0:
        shown = " ".join(a for a in arguments[:2])
        output = completed.stderr.strip() or completed.stdout.strip()
        for secret in hide:
            output = output.replace(secret, "***")
        raise RuntimeError(f"rabbitmqctl {shown} ... failed ({completed.returncode}): {output}")
    return completed.stdout


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
    rabbitmqctl("add_user", name, password, hide=(password,))
    try:
        rabbitmqctl("set_permissions", "-p", "/", name, rights.configure, rights.write, rights.read)
        rabbitmqctl(
            "set_topic_permissions",
            "-p",
            "/",
            name,
            exchange,
            rights.topic_write,
            rights.topic_read,
        )
        yield f"amqp://{name}:{password}@127.0.0.1:{AMQP_PORT}/"
    finally:
        rabbitmqctl("delete_user", name)
