"""host:port pairs as the clients' settings give them, and URLs as a message may show them."""

from __future__ import annotations

import urllib.parse


def first_host_port(servers: str, default_port: int) -> tuple[str, int]:
    """The first of a comma-separated ``host[:port]`` list (IPv6 in brackets)."""
    first = servers.split(",", maxsplit=1)[0].strip()
    if first.startswith("["):
        host, _, rest = first[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = first.rpartition(":") if first.count(":") == 1 else (first, "", "")
    return host, int(port) if port.isdigit() else default_port


def url_address(url: str) -> str:
    """Scheme, host, port and path: never a query string or user info."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
