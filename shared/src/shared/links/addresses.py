"""host:port pairs as the clients' settings give them."""

from __future__ import annotations


def first_host_port(servers: str, default_port: int) -> tuple[str, int]:
    """The first of a comma-separated ``host[:port]`` list (IPv6 in brackets)."""
    first = servers.split(",", maxsplit=1)[0].strip()
    if first.startswith("["):
        host, _, rest = first[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = first.rpartition(":") if first.count(":") == 1 else (first, "", "")
    return host, int(port) if port.isdigit() else default_port
