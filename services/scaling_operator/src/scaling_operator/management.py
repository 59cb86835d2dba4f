"""Requests to the RabbitMQ management API, and what a failed one says about its link.

Over https the session verifies the server's certificate (hostname checked) with the CA
of ``EDA_OPERATOR__RABBITMQ_MANAGEMENT_CAFILE`` (else EDA_RABBITMQ__SSL_CAFILE's, else
the system's). A refused login (401), a certificate that does not verify, TLS spoken to
a plaintext port or plaintext to a TLS port are the configuration's fault and raise
LinkMisconfigured, one line naming the address and the setting; anything else (refused
connection, timeout, a 5xx) is the server being unreachable and raised as it came.
"""

from __future__ import annotations

import errno
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from scaling_operator.settings import MANAGEMENT_URL_SETTING, ManagementEndpoint
from shared.links import (
    LinkMisconfigured,
    causes,
    client_context,
    describe_tls_failure,
    speaks_tls,
)

LINK = "RabbitMQ management API"
_UNAUTHORIZED = 401


class ManagementCredentialsRefused(LinkMisconfigured):
    """The management API answered 401: the user name or password is wrong, or the user
    has no management tag (``monitoring`` is enough)."""


def management_ssl_context(endpoint: ManagementEndpoint) -> ssl.SSLContext | None:
    """The context of an https:// endpoint (None for http://): verification on, the
    hostname checked, the endpoint's CA file or the system's CAs."""
    if not endpoint.tls:
        return None
    return client_context(
        link=LINK,
        address=endpoint.base_url,
        prefix="",
        names=(endpoint.cafile_setting, "", ""),
        files=(endpoint.cafile, None, None),
    )


async def get_json(
    endpoint: ManagementEndpoint, path: str, params: Mapping[str, str] | None = None
) -> tuple[int, Any]:
    """GET ``path`` (below the base URL): the status and the JSON body (None when the
    status is 400 or above). ManagementCredentialsRefused on 401, LinkMisconfigured on a
    TLS mismatch; aiohttp.ClientError or OSError when the server is only unreachable."""
    context = management_ssl_context(endpoint)
    authorization = aiohttp.encode_basic_auth(endpoint.user, endpoint.password)
    try:
        async with (
            aiohttp.ClientSession(
                headers={"Authorization": authorization},
                connector=aiohttp.TCPConnector(ssl=context) if context else None,
            ) as session,
            session.get(endpoint.base_url + path, params=params) as response,
        ):
            if response.status == _UNAUTHORIZED:
                raise ManagementCredentialsRefused(
                    LINK,
                    endpoint.base_url,
                    "it refused the user name or password"
                    " (or the user has no management tag such as monitoring)",
                    endpoint.credentials_setting,
                )
            if response.status >= 400:
                return response.status, None
            return response.status, await response.json()
    except (aiohttp.ClientError, OSError) as exc:
        problem = await management_problem(endpoint, exc)
        if problem is not None:
            raise problem from None
        raise


async def management_problem(
    endpoint: ManagementEndpoint, failure: BaseException
) -> LinkMisconfigured | None:
    """Why ``failure`` happened, when it is the configuration's fault; None when the
    server is only unreachable (refused, reset, timed out)."""
    for cause in causes(failure):
        tls = _tls_failure(cause)
        if tls is None:
            continue
        if "does not speak TLS" in tls:
            setting = f"{MANAGEMENT_URL_SETTING} (http:// for a plaintext port)"
        elif "Hostname mismatch" in tls or "IP address mismatch" in tls:
            setting = f"{MANAGEMENT_URL_SETTING} (the name in the server's certificate)"
        else:
            setting = endpoint.cafile_setting
        return LinkMisconfigured(LINK, endpoint.base_url, tls, setting)
    # A TLS server sent plaintext drops the connection (or resets it) without an answer.
    dropped = any(
        isinstance(cause, aiohttp.ServerDisconnectedError | ConnectionResetError)
        or (isinstance(cause, aiohttp.ClientOSError) and cause.errno == errno.ECONNRESET)
        for cause in causes(failure)
    )
    if not endpoint.tls and dropped and await _speaks_tls(endpoint.base_url):
        return LinkMisconfigured(
            LINK,
            endpoint.base_url,
            "it speaks TLS but the URL is http://",
            f"{MANAGEMENT_URL_SETTING} (https:// for a TLS port)",
        )
    return None


def _tls_failure(exc: BaseException) -> str | None:
    """What a failed handshake says about the configuration, or None when it is not a
    TLS failure."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        exc = exc.certificate_error
    elif isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    return describe_tls_failure(exc)


async def _speaks_tls(base_url: str) -> bool:
    """Whether the port of an http:// URL completes a TLS handshake (unverified)."""
    parts = urlsplit(base_url)
    return parts.hostname is not None and await speaks_tls(parts.hostname, parts.port or 80)
