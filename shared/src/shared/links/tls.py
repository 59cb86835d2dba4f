"""Client TLS contexts from the file settings every link shares: a CA bundle (none: the
system's), and a client certificate and key for mutual TLS."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path

from shared.links.problems import LinkMisconfigured


def client_context(
    *,
    link: str,
    address: str,
    prefix: str,
    names: tuple[str, str, str],
    files: tuple[Path | None, Path | None, Path | None],
    verify: bool = True,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """``names`` are the settings holding the CA, certificate and key (for messages);
    a file that cannot be read or is not what it should be is a misconfiguration."""
    cafile, certfile, keyfile = files
    ca_name, cert_name, key_name = (prefix + name for name in names)
    try:
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise LinkMisconfigured(
            link, address, f"CA file {cafile}: {_reason(exc)}", ca_name
        ) from None
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.check_hostname = check_hostname
    if certfile is not None:
        try:
            context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
        except (OSError, ssl.SSLError) as exc:
            raise LinkMisconfigured(
                link,
                address,
                f"client certificate {certfile} and key {keyfile}: {_reason(exc)}",
                f"{cert_name} and {key_name}",
            ) from None
    return context


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def describe_tls_failure(exc: BaseException) -> str | None:
    """What a failed TLS handshake says about the configuration, or None when it is not a
    TLS failure (refused, timed out: the server is only unreachable)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate does not verify ({exc.verify_message})"
    if not isinstance(exc, ssl.SSLError):
        return None
    reason = (exc.reason or str(exc)).upper()
    if "CERTIFICATE_REQUIRED" in reason:
        return "it requires a client certificate"
    if "UNKNOWN_CA" in reason or "BAD_CERTIFICATE" in reason or "CERTIFICATE_UNKNOWN" in reason:
        return "it refused the client certificate"
    if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason or "PACKET_LENGTH" in reason:
        return "it does not speak TLS"
    return f"the TLS handshake failed ({exc.reason or exc})"


CONNECT_TIMEOUT_S = 5.0
# A server that speaks TLS answers a ClientHello at once; one that does not stays silent.
HANDSHAKE_TIMEOUT_S = 2.0


async def speaks_tls(host: str, port: int) -> bool:
    """Whether ``host:port`` completes a TLS handshake (unverified): told to a client that
    sent plaintext to a TLS port, whose libraries only see a connection reset."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    try:
        async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
            await writer.start_tls(context, server_hostname=host)
    except (OSError, TimeoutError):
        writer.transport.abort()  # after a failed start_tls, wait_closed never ends
        return False
    await closed(writer)
    return True


async def closed(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(1):
            await writer.wait_closed()


def causes(failure: BaseException) -> list[BaseException]:
    """``failure`` and what caused it, outermost first: libraries wrap the TLS error."""
    seen: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
