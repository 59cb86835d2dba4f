"""What the tests' token issuers have in common: the services' audience, and a claim
left out on request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

AUDIENCE = "eda-api"
# A claim given this value is left out of the token.
OMIT: Any = object()


def with_claims(
    payload: dict[str, Any], scopes: Iterable[str], claims: dict[str, Any]
) -> dict[str, Any]:
    """``payload`` with the scopes (if any) and ``claims`` over it, less every OMIT."""
    scope = " ".join(scopes)
    if scope:
        payload["scope"] = scope
    payload |= claims
    return {name: value for name, value in payload.items() if value is not OMIT}
