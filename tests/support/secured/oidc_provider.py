"""An OpenID provider for tests: an aiohttp server on 127.0.0.1 (https with a server
context) publishing its discovery document and its JWKS, and minting signed tokens with
whichever of its keys a test chooses. Keys can be added and removed while it runs (a
rotation); it counts JWKS requests, and can fail (503) or stop listening until told to
come back, on the same port."""

from __future__ import annotations

import contextlib
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.claims import AUDIENCE, OMIT, with_claims

CLIENT_ID = "eda-console"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}


def new_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(f"key-{secrets.token_hex(4)}", private)


@dataclass
class OidcProvider:
    """``issuer`` is set once it listens; ``keys`` are published in that order."""

    keys: list[SigningKey] = field(default_factory=lambda: [new_key()])
    issuer: str = ""
    jwks_requests: int = 0
    discovery_requests: int = 0
    failing: bool = False
    # What the JWKS endpoint answers instead of the keys, when set.
    jwks_override: Any = None

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    def add_key(self) -> SigningKey:
        key = new_key()
        self.keys.insert(0, key)
        return key

    def remove_key(self, kid: str) -> None:
        self.keys = [key for key in self.keys if key.kid != kid]

    def fail(self) -> None:
        """Answer 503 to everything from now on."""
        self.failing = True

    def recover(self) -> None:
        self.failing = False

    def token(
        self,
        subject: object = "ada",
        scopes: Iterable[str] = (),
        *,
        key: SigningKey | None = None,
        lifetime_s: float = 300,
        typ: object = "at+jwt",
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An access token (RFC 9068 shape) signed with ``key`` (the newest by default)."""
        signer = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": AUDIENCE,
            "client_id": CLIENT_ID,
            "iat": now,
            "exp": now + lifetime_s,
            "jti": secrets.token_hex(8),
        }
        payload = with_claims(payload, scopes, claims)
        header: dict[str, Any] = {"kid": signer.kid, **(headers or {})}
        if typ is not OMIT:
            header["typ"] = typ
        return jwt.encode(payload, signer.private, algorithm="RS256", headers=header)

    def id_token(self, subject: str = "ada", **claims: Any) -> str:
        """An ID token for the client whose id is the API's audience (a common
        misconfiguration that lets ID tokens pass the audience check)."""
        defaults: dict[str, Any] = {
            "aud": AUDIENCE,
            "azp": AUDIENCE,
            "nonce": secrets.token_hex(8),
            "client_id": OMIT,
        }
        return self.token(subject, typ="JWT", **(defaults | claims))

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_get("/.well-known/openid-configuration", self._discovery)
        application.router.add_get("/protocol/openid-connect/certs", self._jwks)
        return application

    async def _discovery(self, _: web.Request) -> web.Response:
        self.discovery_requests += 1
        if self.failing:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        return web.json_response(
            {
                "issuer": self.issuer,
                "jwks_uri": self.jwks_url,
                "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        self.jwks_requests += 1
        if self.failing:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        if self.jwks_override is not None:
            return web.json_response(self.jwks_override)
        return web.json_response({"keys": [key.jwk() for key in self.keys]})


@dataclass
class RunningProvider:
    provider: OidcProvider
    runner: web.AppRunner
    port: int
    server_ssl: ssl.SSLContext | None
    site: web.TCPSite | None = None

    async def listen(self) -> None:
        self.site = web.TCPSite(
            self.runner, "127.0.0.1", self.port, ssl_context=self.server_ssl, reuse_address=True
        )
        await self.site.start()

    async def stop_listening(self) -> None:
        """Connections are refused until listen() is called again (same port)."""
        if self.site is not None:
            await self.site.stop()
            self.site = None


@contextlib.asynccontextmanager
async def oidc_provider(
    server_ssl: ssl.SSLContext | None = None, *, path: str = "/realms/eda"
) -> AsyncIterator[RunningProvider]:
    """A provider on a free port (https with ``server_ssl``); its issuer ends with
    ``path``, as Keycloak's realms do."""
    provider = OidcProvider()
    outer = web.Application()
    outer.add_subapp(path, provider.app())
    runner = web.AppRunner(outer, access_log=None)
    await runner.setup()
    running = RunningProvider(provider, runner, 0, server_ssl)
    await running.listen()
    try:
        running.port = int(runner.addresses[0][1])
        scheme, host = ("https", "localhost") if server_ssl else ("http", "127.0.0.1")
        provider.issuer = f"{scheme}://{host}:{running.port}{path}"
        yield running
    finally:
        await runner.cleanup()
