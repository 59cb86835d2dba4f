"""Every MySQL connection's options, from ``EDA_MYSQL__*``, with ``SSL_MODE`` meaning
what the mysql client's ``--ssl-mode`` means. aiomysql falls back to plaintext without a
word when a server offers no TLS, so REQUIRED and above check the session itself."""

from __future__ import annotations

import ssl
from typing import Any

import aiomysql
import pymysql

from shared.links.problems import LinkMisconfigured
from shared.links.tls import causes, client_context, describe_tls_failure
from shared.settings import MySQLSettings

LINK = "MySQL"
PREFIX = "EDA_MYSQL__"
_ACCESS_DENIED = {1044, 1045, 1698}
_INSECURE_TRANSPORT = 3159  # MySQL 8: require_secure_transport refused plaintext
_SSL_REQUIRED = 2026  # the client's TLS setup failed


def mysql_address(settings: MySQLSettings) -> str:
    return f"{settings.host}:{settings.port}"


def mysql_connect_options(settings: MySQLSettings) -> dict[str, Any]:
    """host, port, user, password, connect_timeout and ssl for aiomysql.connect and
    aiomysql.create_pool."""
    return {
        "host": settings.host,
        "port": settings.port,
        "user": settings.user,
        "password": settings.password,
        "connect_timeout": settings.connect_timeout_s,
        "ssl": mysql_ssl_context(settings),
    }


def mysql_ssl_context(settings: MySQLSettings) -> ssl.SSLContext | None:
    if settings.ssl_mode == "DISABLED":
        return None
    verify = settings.ssl_mode in ("VERIFY_CA", "VERIFY_IDENTITY")
    return client_context(
        link=LINK,
        address=mysql_address(settings),
        prefix=PREFIX,
        names=("SSL_CA", "SSL_CERT", "SSL_KEY"),
        files=(settings.ssl_ca, settings.ssl_cert, settings.ssl_key),
        verify=verify,
        check_hostname=settings.ssl_mode == "VERIFY_IDENTITY",
    )


def is_encrypted(connection: aiomysql.Connection) -> bool:
    """Whether TLS was started on the connection (aiomysql marks it ``_secure``; if a
    later aiomysql drops the mark, every connection reads as plaintext: fail closed)."""
    return bool(getattr(connection, "_secure", False))


def require_encrypted(connection: aiomysql.Connection, settings: MySQLSettings) -> None:
    """Fail closed: with REQUIRED and above, a session that is not encrypted (the server
    offered no TLS, or something in between removed it) is refused."""
    if settings.requires_tls and not is_encrypted(connection):
        raise LinkMisconfigured(
            LINK,
            mysql_address(settings),
            "the session is not encrypted (the server offers no TLS)"
            f" but SSL mode is {settings.ssl_mode}",
            f"{PREFIX}SSL_MODE and the server's TLS set-up",
        )


async def connect_mysql(settings: MySQLSettings, **extra: Any) -> aiomysql.Connection:
    """One connection (the start-up probe, ``migrate``): a misconfigured link raised as
    LinkMisconfigured, an unencrypted session refused where TLS is required; any other
    failure is the driver's own (unreachable: the caller may retry)."""
    try:
        connection = await aiomysql.connect(**mysql_connect_options(settings), **extra)
    except Exception as exc:
        problem = mysql_problem(settings, exc)
        if problem is not None:
            raise problem from None
        raise
    try:
        require_encrypted(connection, settings)
    except BaseException:
        connection.close()
        raise
    return connection


def mysql_problem(settings: MySQLSettings, failure: BaseException) -> LinkMisconfigured | None:
    """The configuration's fault behind a failed connection, or None (unreachable)."""
    if isinstance(failure, LinkMisconfigured):
        return failure
    address = mysql_address(settings)
    code = failure.args[0] if isinstance(failure, pymysql.err.MySQLError) and failure.args else None
    if code in _ACCESS_DENIED:
        hint = (
            "" if settings.requires_tls else "; a server that requires TLS refuses plaintext so too"
        )
        return LinkMisconfigured(
            LINK,
            address,
            f"it refused user {settings.user!r}"
            f" (wrong user or password, or no right to the database{hint})",
            f"{PREFIX}USER and {PREFIX}PASSWORD"
            + ("" if settings.requires_tls else f", {PREFIX}SSL_MODE"),
        )
    if code == _INSECURE_TRANSPORT:
        return LinkMisconfigured(
            LINK, address, "it requires TLS", f"{PREFIX}SSL_MODE (REQUIRED or VERIFY_IDENTITY)"
        )
    for cause in causes(failure):
        tls = describe_tls_failure(cause)
        if tls is not None:
            setting = f"{PREFIX}SSL_CA"
            if "client certificate" in tls:
                setting = f"{PREFIX}SSL_CERT and {PREFIX}SSL_KEY"
            elif "mismatch" in tls:
                setting = f"{PREFIX}HOST (the name in the server's certificate) or {PREFIX}SSL_MODE"
            return LinkMisconfigured(LINK, address, tls, setting)
    return None
