"""Kafka secured: a private in-memory Tansu broker behind the TLS terminator, advertising
the terminator's port so that metadata sends clients back through TLS; optionally with
mutual TLS at the terminator, and with SASL (Tansu's ``--authentication``: SCRAM-SHA-256
and -512 offered, PLAIN refused with "NoSharedMechanism"). On memory storage no SCRAM user
can be created, so SASL brokers can only show the exchange happening and a rejection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from eda_local.tansu import broker_command, free_port
from shared.links import kafka_client_options, start_kafka_client
from shared.settings import KafkaSettings
from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, accepts, chosen_port, running_child
from tests.support.secured.stunnel import tls_terminator

_STARTUP_S = 20.0
_ATTEMPTS = 3
_CLIENT_START_DEADLINE_S = 45.0


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
    argv = broker_command(port, advertised_port)
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


async def start_failure(settings: KafkaSettings) -> BaseException:
    """What ``start_kafka_client`` raises for a producer on ``settings``, within a
    deadline (a start that never ends fails the test with TimeoutError)."""
    producer = AIOKafkaProducer(
        **kafka_client_options(settings), request_timeout_ms=settings.request_timeout_ms
    )
    try:
        async with asyncio.timeout(_CLIENT_START_DEADLINE_S):
            await start_kafka_client(producer, settings)
    except Exception as exc:  # what it is, is the test's question
        return exc
    finally:
        await producer.stop()
    raise AssertionError(f"a producer started on {settings.bootstrap_servers}")
