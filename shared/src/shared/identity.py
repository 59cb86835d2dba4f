"""A caller's identity at its identity provider, ``(issuer, subject)``, and the key that
stands for it outside the user-service (decision 30).

The key is a SHA-256 over both parts, each length-prefixed so that no two pairs give one
input. It is pseudonymous rather than secret: whoever knows an issuer and a subject can
compute it, but nobody can read the subject back from it. Consumers compare keys and
never see a raw subject.
"""

from __future__ import annotations

import hashlib
import hmac
import re

IDENTITY_KEY_PATTERN = r"^[0-9a-f]{64}$"
_KEY = re.compile(IDENTITY_KEY_PATTERN)
# Changing how the key is made is a new version: keys already stored would stop matching.
_DOMAIN = b"eda.identity.v1\x00"


def identity_key(issuer: str, subject: str) -> str:
    """64 lowercase hex digits naming ``(issuer, subject)`` and nothing else."""
    digest = hashlib.sha256(_DOMAIN)
    # surrogatepass: a claim may hold a lone surrogate (JSON allows "\ud800"); every str
    # still has its own bytes, so comparing never fails and never confuses two callers.
    for text in (issuer, subject):
        part = text.encode("utf-8", "surrogatepass")
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def is_identity_key(value: str) -> bool:
    return _KEY.fullmatch(value) is not None


def same_identity(key: str | None, issuer: str, subject: str) -> bool:
    """``key`` is the key of ``(issuer, subject)``; never true for a missing key."""
    if key is None:
        return False
    return hmac.compare_digest(key.encode(), identity_key(issuer, subject).encode())
