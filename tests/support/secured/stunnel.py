"""A TLS terminator in front of a plaintext server: Debian's stunnel, run in the
foreground as a child process with a generated config, on 127.0.0.1 and a port of its
own, optionally requiring a client certificate signed by the test CA (mutual TLS).

Under TLS 1.3 the client finishes its handshake before the server has checked the
client's certificate: a client without one (or with a foreign one) connects, and learns
of its refusal only at its first read: the alert (certificate required, unknown CA) if it
has not written yet, else often ECONNRESET, the reset having overtaken the alert."""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, accepts, chosen_port, running_child

_STARTUP_S = 20.0
_counter = itertools.count()


def stunnel_binary() -> str:
    for name in ("stunnel4", "stunnel"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "stunnel is not installed: `make servers` installs it "
        "(apt-get install --no-install-recommends stunnel4)"
    )


def stunnel_config(
    *,
    accept_port: int,
    target_port: int,
    cert: Path,
    key: Path,
    ca: Path | None,
    target_host: str = "127.0.0.1",
) -> str:
    lines = [
        "foreground = yes",
        "syslog = no",
        "pid =",
        "debug = info",
        "",
        "[tls]",
        f"accept = 127.0.0.1:{accept_port}",
        f"connect = {target_host}:{target_port}",
        f"cert = {cert}",
        f"key = {key}",
        # Close at once, without waiting for the peer's close_notify.
        "TIMEOUTclose = 0",
    ]
    if ca is not None:
        lines += ["requireCert = yes", "verifyChain = yes", f"CAfile = {ca}"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def tls_terminator(
    target_port: int,
    certs: Certificates,
    *,
    require_client_cert: bool = False,
    cert: Path | None = None,
    key: Path | None = None,
    port: int | None = None,
    target_host: str = "127.0.0.1",
) -> Iterator[int]:
    """Yield the TLS port in front of ``target_host:target_port``; stop stunnel at the end.

    ``cert``/``key`` replace the server certificate (e.g. ``certs.wrong_host_cert``);
    ``port`` is a port chosen beforehand (a broker that advertises it), else one is
    chosen here, and chosen again should another process take it first.
    """
    attempts = 1 if port is not None else 3
    with contextlib.ExitStack() as stack:
        for attempt in range(1, attempts + 1):
            accept_port = port if port is not None else chosen_port()
            try:
                stack.enter_context(
                    _running(
                        accept_port,
                        target_port,
                        target_host,
                        certs,
                        require_client_cert=require_client_cert,
                        cert=cert,
                        key=key,
                    )
                )
                break
            except ChildFailed as failed:
                # Another process took the port between its choice and stunnel's bind.
                if attempt == attempts or not failed.port_taken:
                    raise
        yield accept_port


@contextlib.contextmanager
def _running(
    accept_port: int,
    target_port: int,
    target_host: str,
    certs: Certificates,
    *,
    require_client_cert: bool,
    cert: Path | None,
    key: Path | None,
) -> Iterator[None]:
    name = f"stunnel-{accept_port}-{next(_counter)}"
    config = certs.directory / f"{name}.conf"
    config.write_text(
        stunnel_config(
            accept_port=accept_port,
            target_port=target_port,
            target_host=target_host,
            cert=cert or certs.server_cert,
            key=key or certs.server_key,
            ca=certs.ca if require_client_cert else None,
        )
    )
    with running_child(
        [stunnel_binary(), str(config)],
        name=f"stunnel on 127.0.0.1:{accept_port}",
        log_path=certs.directory / f"{name}.log",
        ready=lambda: accepts(accept_port),
        timeout_s=_STARTUP_S,
    ):
        yield
