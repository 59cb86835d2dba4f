"""Broker errors as one line for a status condition, and the reasons a reading gives
when the link is misconfigured rather than the broker unreachable."""

from __future__ import annotations

from scaling_operator.decisions import BacklogUnavailable
from scaling_operator.management import ManagementCredentialsRefused
from shared.links import LinkMisconfigured

LINK_MISCONFIGURED = "LinkMisconfigured"
"""A wrong password, a certificate that does not verify, TLS or plaintext to the wrong
port: the broker answered, and will answer the same until a setting changes."""
MANAGEMENT_CREDENTIALS_REFUSED = "ManagementCredentialsRefused"
"""The management API answered 401 to the operator's user."""


def describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def misconfigured(exc: LinkMisconfigured) -> BacklogUnavailable:
    """The reading of a link that cannot work as configured: not BrokerUnreachable, and
    the message names the setting to fix (never a credential)."""
    reason = (
        MANAGEMENT_CREDENTIALS_REFUSED
        if isinstance(exc, ManagementCredentialsRefused)
        else LINK_MISCONFIGURED
    )
    return BacklogUnavailable(reason, str(exc), broker_reachable=True)
