"""Kafka secured: a private in-memory Tansu broker behind the TLS terminator, advertising
the terminator's port so that metadata sends clients back through TLS; optionally with
mutual TLS at the terminator, and with SASL (Tansu's ``--authentication``: SCRAM-SHA-256
and -512 offered, PLAIN refused with "NoSharedMechanism"). On memory storage no SCRAM user
can be created, so SASL brokers can only show the exchange happening and a rejection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eda_local.tansu import free_port, tansu_binary
from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, accepts, chosen_port, running_child
from tests.support.secured.stunnel import tls_terminator

_STARTUP_S = 20.0
_ATTEMPTS = 3


@dataclass(frozen=True)
class SecuredKafka:
    """``bootstrap`` is "127.0.0.1:<port>": TLS unless ``tls`` is false."""

    bootstrap: str
    certs: Certificates
    tls: bool
    client_cert_required: bool
    sasl: bool


@contextlib.contextmanager
def secured_tansu(
    certs: Certificates,
    log_dir: Path,
    *,
    tls: bool = True,
    require_client_cert: bool = False,
    authentication: bool = False,
) -> Iterator[SecuredKafka]:
    """A fresh Tansu; with ``tls``, reached only through a terminator whose port it
    advertises (chosen before either starts)."""
    if require_client_cert and not tls:
        raise ValueError("a client certificate needs TLS")
    with contextlib.ExitStack() as stack:
        for attempt in range(1, _ATTEMPTS + 1):
            plain_port = free_port()
            public_port = chosen_port() if tls else plain_port
            try:
                with contextlib.ExitStack() as starting:
                    starting.enter_context(
                        running_tansu_process(
                            plain_port, public_port, log_dir=log_dir, authentication=authentication
                        )
                    )
                    if tls:
                        starting.enter_context(
                            tls_terminator(
                                plain_port,
                                certs,
                                require_client_cert=require_client_cert,
                                port=public_port,
                            )
                        )
                    stack.enter_context(starting.pop_all())
                break
            except ChildFailed as failed:
                # A port was taken between its choice and the bind: both ports again.
                if attempt == _ATTEMPTS or not failed.port_taken:
                    raise
        yield SecuredKafka(
            bootstrap=f"127.0.0.1:{public_port}",
            certs=certs,
            tls=tls,
            client_cert_required=require_client_cert,
            sasl=authentication,
        )


@contextlib.contextmanager
def running_tansu_process(
    port: int, advertised_port: int, *, log_dir: Path, authentication: bool = False
) -> Iterator[None]:
    argv = [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        f"tcp://127.0.0.1:{port}",
        "--advertised-listener-url",
        f"tcp://127.0.0.1:{advertised_port}",
    ]
    if authentication:
        argv.append("--authentication")
    with running_child(
        argv,
        name=f"tansu on 127.0.0.1:{port}",
        log_path=log_dir / f"tansu-{port}.log",
        ready=lambda: accepts(port),
        timeout_s=_STARTUP_S,
    ):
        yield
