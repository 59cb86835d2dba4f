"""An OAuth2/OIDC client-credentials token endpoint for tests: an aiohttp server on
127.0.0.1 answering ``POST /token`` (client credentials in the form or as HTTP Basic)
with ``{access_token, token_type: "Bearer", expires_in}``, and its discovery document at
``/.well-known/openid-configuration``. It records every token request, issues unsigned
JWTs (``alg: none``) carrying ``exp``, and can be told to refuse (401 invalid_client) or
to fail (500) until it is told to recover."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import secrets
import ssl
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

Mode = Literal["serve", "refuse", "fail"]


@dataclass(frozen=True)
class TokenRequest:
    """One POST to the token endpoint, as received."""

    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    scope: str | None
    basic_auth: bool
    at: float
    status: int = 0


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    client_id: str
    scope: str | None
    expires_at: float


@dataclass
class TokenEndpoint:
    """``url`` is the token endpoint; ``issuer`` the base URL (discovery lives under it).
    ``expires_in`` (seconds) applies to tokens issued from then on."""

    client_id: str = "eda-service"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    expires_in: int = 3600
    requests: list[TokenRequest] = field(default_factory=list)
    issued: list[IssuedToken] = field(default_factory=list)
    mode: Mode = "serve"
    issuer: str = ""

    @property
    def url(self) -> str:
        return f"{self.issuer}/token"

    def refuse(self) -> None:
        """Answer 401 {"error": "invalid_client"} from now on, whatever the credentials."""
        self.mode = "refuse"

    def fail(self) -> None:
        """Answer 500 from now on."""
        self.mode = "fail"

    def recover(self) -> None:
        self.mode = "serve"

    @property
    def fetches(self) -> int:
        """Token requests that were answered with a token."""
        return sum(1 for request in self.requests if request.status == 200)

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/token", self._token)
        application.router.add_get("/.well-known/openid-configuration", self._discovery)
        return application

    async def _discovery(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "token_endpoint": self.url,
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        basic = _basic_credentials(request.headers.get("Authorization", ""))
        client_id, client_secret = basic or (
            _text(form.get("client_id")),
            _text(form.get("client_secret")),
        )
        grant_type, scope = _text(form.get("grant_type")), _text(form.get("scope"))
        status, body = self._answer(grant_type, client_id, client_secret, scope)
        self.requests.append(
            TokenRequest(
                grant_type, client_id, client_secret, scope, basic is not None, time.time(), status
            )
        )
        headers = {"Cache-Control": "no-store"}
        if status == 401 and basic is not None:
            headers["WWW-Authenticate"] = 'Basic realm="token"'
        return web.json_response(body, status=status, headers=headers)

    def _answer(
        self,
        grant_type: str | None,
        client_id: str | None,
        client_secret: str | None,
        scope: str | None,
    ) -> tuple[int, dict[str, object]]:
        if self.mode == "fail":
            return 500, {"error": "server_error"}
        if self.mode == "refuse" or (client_id, client_secret) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client"}
        if grant_type != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        now = time.time()
        token = _unsigned_jwt(
            {
                "iss": self.issuer,
                "sub": client_id,
                "client_id": client_id,
                "iat": int(now),
                "exp": int(now + self.expires_in),
                "jti": secrets.token_hex(8),
                **({"scope": scope} if scope else {}),
            }
        )
        self.issued.append(IssuedToken(token, self.client_id, scope, now + self.expires_in))
        body: dict[str, object] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if scope:
            body["scope"] = scope
        return 200, body


@contextlib.asynccontextmanager
async def token_endpoint(server_ssl: ssl.SSLContext | None = None) -> AsyncIterator[TokenEndpoint]:
    """A running endpoint on a free port (https with ``server_ssl``), stopped at the end."""
    endpoint = TokenEndpoint()
    runner = web.AppRunner(endpoint.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl)
    await site.start()
    try:
        port = int(runner.addresses[0][1])
        scheme, host = ("https", "localhost") if server_ssl else ("http", "127.0.0.1")
        endpoint.issuer = f"{scheme}://{host}:{port}"
        yield endpoint
    finally:
        await runner.cleanup()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: both parts are form-urlencoded before base64."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    if not separator:
        return None
    return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_jwt(claims: dict[str, object]) -> str:
    header = {"alg": "none", "typ": "JWT"}
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, claims))
    return ".".join(_b64(part) for part in parts) + "."
