"""OAUTHBEARER tokens from an OIDC provider's client-credentials grant (RFC 6749 4.4):
fetched on first use, shared by every Kafka client of the process, and renewed once
80 % of their lifetime has passed, so a connection never presents an expired one."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka.abc import AbstractTokenProvider

from shared.links.addresses import url_address
from shared.links.problems import LinkMisconfigured

log = logging.getLogger(__name__)

RENEW_AT_FRACTION = 0.8
DEFAULT_LIFETIME_S = 300.0  # when the provider does not say (expires_in is optional)
FETCH_TIMEOUT_S = 10.0
_SETTINGS = "EDA_KAFKA__SASL_OAUTHBEARER_CLIENT_ID and EDA_KAFKA__SASL_OAUTHBEARER_CLIENT_SECRET"


class TokenEndpointUnavailable(ConnectionError):
    """The token endpoint did not answer, or failed: transient, like a broker outage."""


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    token_endpoint_url: str
    client_id: str
    client_secret: str
    scope: str | None = None

    def __repr__(self) -> str:
        return f"ClientCredentials({self.token_endpoint_url!r}, client_id={self.client_id!r})"


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    lifetime_s: float


class ClientCredentialsTokens(AbstractTokenProvider):  # type: ignore[misc]
    def __init__(
        self,
        credentials: ClientCredentials,
        *,
        fetch: Callable[[ClientCredentials], Awaitable[Token]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._fetch = fetch or fetch_token
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self._expires_at = 0.0
        self.fetches = 0

    async def token(self) -> str:
        async with self._lock:
            now = self._clock()
            if self._token is not None and now < self._renew_at:
                return self._token
            try:
                fetched = await self._fetch(self._credentials)
            except TokenEndpointUnavailable as exc:
                if self._token is not None and now < self._expires_at:
                    log.warning(
                        "renewing the Kafka OAUTHBEARER token failed (%s); the current one"
                        " is still valid",
                        exc,
                    )
                    return self._token
                raise
            self.fetches += 1
            self._token = fetched.value
            self._renew_at = now + fetched.lifetime_s * RENEW_AT_FRACTION
            self._expires_at = now + fetched.lifetime_s
            return fetched.value


async def fetch_token(credentials: ClientCredentials) -> Token:
    return await asyncio.to_thread(_fetch_blocking, credentials)


def _fetch_blocking(credentials: ClientCredentials) -> Token:
    form = {"grant_type": "client_credentials"}
    if credentials.scope:
        form["scope"] = credentials.scope
    basic = base64.b64encode(
        f"{_form_quote(credentials.client_id)}:{_form_quote(credentials.client_secret)}".encode()
    ).decode()
    # The settings accept only http(s) URLs here.
    request = urllib.request.Request(  # noqa: S310
        credentials.token_endpoint_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    where = url_address(credentials.token_endpoint_url)
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=FETCH_TIMEOUT_S, context=ssl.create_default_context()
        ) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 401, 403):
            raise LinkMisconfigured(
                "Kafka OAUTHBEARER token endpoint",
                where,
                f"it refused the client credentials (HTTP {exc.code}{_oauth_error(exc)})",
                _SETTINGS,
            ) from None
        raise TokenEndpointUnavailable(f"{where} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise LinkMisconfigured(
                "Kafka OAUTHBEARER token endpoint",
                where,
                f"its certificate does not verify ({exc.reason.verify_message})",
                "EDA_KAFKA__SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL",
            ) from None
        raise TokenEndpointUnavailable(f"{where} could not be reached: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise TokenEndpointUnavailable(f"{where} could not be read: {exc}") from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise LinkMisconfigured(
            "Kafka OAUTHBEARER token endpoint",
            where,
            "its answer holds no access_token",
            "EDA_KAFKA__SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL",
        )
    lifetime = body.get("expires_in")
    return Token(
        token,
        float(lifetime)
        if isinstance(lifetime, int | float) and lifetime > 0
        else DEFAULT_LIFETIME_S,
    )


def _form_quote(value: str) -> str:
    # RFC 6749 2.3.1: client id and secret are form-encoded before Basic encoding.
    return urllib.parse.quote_plus(value)


def _oauth_error(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read()).get("error")
    except (OSError, ValueError, AttributeError):
        return ""
    return f", {error}" if isinstance(error, str) else ""
