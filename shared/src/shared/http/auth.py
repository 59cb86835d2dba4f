"""Who may call an API: the bearer-token dependency routes take, and the checks they make
with the principal it gives them.

Routes declare ``caller: Caller`` and then call ``require_scope``, ``require_admin`` or
``require_identity``. Missing or bad tokens are answered 401 with a ``WWW-Authenticate``
challenge (RFC 6750), refused callers 403; both bodies are ``{"detail": "..."}`` like
every other error. While the identity provider's keys cannot be fetched, a token is
answered 503 (it cannot be judged yet). With ``EDA_AUTH__ENABLED`` false every request,
with or without a token, speaks for an anonymous admin, so routes and use cases run the
same either way; the chart then refuses to render an Ingress (nothing exposed).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth_settings import AuthSettings
from shared.http.jwks import KeysUnusableError
from shared.http.tokens import (
    Principal,
    SigningKeysUnavailableError,
    TokenRejectedError,
    TokenVerifier,
)
from shared.identity import same_identity

__all__ = [
    "AUTH_RESPONSES",
    "BearerAuth",
    "Caller",
    "Principal",
    "authenticate",
    "install_bearer_auth",
    "require_admin",
    "require_identity",
    "require_scope",
]

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
# Asked to come back after this many seconds while the provider's keys are not fetched.
KEYS_RETRY_AFTER_S = 5

# Characters RFC 6750 allows inside a quoted error_description.
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token, or one that is malformed, expired or not trusted"},
    403: {"description": "The token's subject or scopes do not allow this request"},
}

# Declares the scheme in the OpenAPI document (the lock and "Authorize" in /docs); it
# only reads the header: BearerAuth decides, so that an absent token can be fine.
_bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description=(
        "An access token (JWT) from the configured issuer for this API's audience, with"
        " `iat` and `exp`; scopes in `scope` (space-separated) or `scp`."
    ),
    auto_error=False,
)


class BearerAuth:
    """The principal a request's bearer token speaks for, per the app's AuthSettings."""

    def __init__(self, settings: AuthSettings) -> None:
        self._verifier = TokenVerifier(settings) if settings.enabled else None
        self._anonymous = Principal(
            subject=ANONYMOUS,
            scopes=frozenset({settings.admin_scope}),
            is_admin=True,
            issuer=ANONYMOUS,
        )

    async def start(self) -> None:
        """Fetches the provider's keys when they come from it (an unreachable provider is
        retried in the background; an unusable answer raises LinkMisconfigured)."""
        if self._verifier is not None:
            await self._verifier.keys.start()

    async def stop(self) -> None:
        if self._verifier is not None:
            await self._verifier.keys.stop()

    async def principal(self, token: str | None) -> Principal:
        if self._verifier is None:
            return self._anonymous
        if token is None:
            # No error code when no credentials came at all (RFC 6750, section 3.1).
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a bearer token is required: Authorization: Bearer <JWT>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            return await self._verifier.verify(token)
        except SigningKeysUnavailableError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="the identity provider's signing keys are not available yet",
                headers={"Retry-After": str(KEYS_RETRY_AFTER_S)},
            ) from None
        except TokenRejectedError as exc:
            log.debug("bearer token refused: %s", exc.description)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=f"invalid bearer token: {exc.description}",
                headers={"WWW-Authenticate": _challenge("invalid_token", exc.description)},
            ) from None

    async def subject_of(self, request: Request) -> str | None:
        """The subject of the request's principal, read as the routes read it; None when
        the token is missing or refused (the route then answers it)."""
        credentials = await _bearer_scheme(request)
        try:
            principal = await self.principal(credentials.credentials if credentials else None)
        except Exception:
            return None
        return str(principal.subject)


def install_bearer_auth(app: FastAPI, settings: AuthSettings) -> BearerAuth:
    """Also wraps the app's lifespan: the provider's keys are fetched at start."""
    auth = BearerAuth(settings)
    app.state.bearer_auth = auth
    if not settings.enabled:
        _describe_without_auth(app)
        return auth
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        try:
            await auth.start()
        except KeysUnusableError as exc:
            raise exc.as_link_problem() from None
        try:
            async with inner(app) as state:
                yield state
        finally:
            await auth.stop()

    app.router.lifespan_context = lifespan
    return auth


def _describe_without_auth(app: FastAPI) -> None:
    """With auth off, the OpenAPI document does not ask for a token: no bearer scheme,
    no per-operation security, no 401 or 403 that the service never sends."""
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = describe()  # builds and caches app.openapi_schema: edited in place
        document.get("components", {}).pop("securitySchemes", None)
        for item in document.get("paths", {}).values():
            for operation in item.values():
                operation.pop("security", None)
                for code in AUTH_RESPONSES:
                    operation.get("responses", {}).pop(str(code), None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    auth: BearerAuth | None = getattr(request.app.state, "bearer_auth", None)
    if auth is None:
        # Fails closed (a 500) rather than serving routes nobody guards.
        raise RuntimeError("install_bearer_auth was not called for this app")
    return await auth.principal(credentials.credentials if credentials is not None else None)


Caller = Annotated[Principal, Depends(authenticate)]


def require_scope(caller: Principal, scope: str, action: str) -> None:
    """``scope`` or the admin scope."""
    if not (caller.is_admin or scope in caller.scopes):
        raise _forbidden(f"{action} needs the scope '{scope}' (or the admin scope)", scope)


def require_admin(caller: Principal, action: str, hint: str = "") -> None:
    if not caller.is_admin:
        raise _forbidden(f"{action} needs the admin scope" + (f"; {hint}" if hint else ""))


def require_identity(caller: Principal, owner: str | None, action: str) -> None:
    """The caller's ``(issuer, subject)`` is the identity the user was registered by
    (``owner``, its ``shared.identity`` key), or it carries the admin scope. A user with
    no identity (registered before identities were kept, or by an admin for nobody in
    particular) is for admins only (decision 30)."""
    if not (caller.is_admin or same_identity(owner, caller.issuer, caller.subject)):
        # Not naming the owner: an order's customer is not the caller's business.
        raise _forbidden(
            "only the user's own identity (the token's issuer and subject)"
            f" or the admin scope may {action}"
        )


def _forbidden(detail: str, scope: str | None = None) -> HTTPException:
    challenge = _challenge("insufficient_scope", detail)
    if scope is not None:
        challenge += f', scope="{_NOT_IN_DESCRIPTION.sub("", scope)}"'
    return HTTPException(
        status.HTTP_403_FORBIDDEN, detail=detail, headers={"WWW-Authenticate": challenge}
    )


def _challenge(error: str, description: str) -> str:
    return f'Bearer error="{error}", error_description="{_NOT_IN_DESCRIPTION.sub("", description)}"'
