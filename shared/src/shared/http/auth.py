"""Who may call an API: the bearer-token dependency routes take, and the checks they make
with the principal it gives them.

Routes declare ``caller: Caller`` and then call ``require_scope``, ``require_admin`` or
``require_subject``. Missing or bad tokens are answered 401 with a ``WWW-Authenticate``
challenge (RFC 6750), refused callers 403; both bodies are ``{"detail": "..."}`` like
every other error. With ``EDA_AUTH__ENABLED`` false every request, with or without a
token, speaks for an anonymous admin, so routes and use cases run the same either way.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http.auth_settings import AuthSettings
from shared.http.tokens import Principal, TokenRejectedError, TokenVerifier

__all__ = [
    "AUTH_RESPONSES",
    "BearerAuth",
    "Caller",
    "Principal",
    "authenticate",
    "install_bearer_auth",
    "require_admin",
    "require_scope",
    "require_subject",
]

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"

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
    description="A JWT with `sub` and `exp`; scopes in `scope` (space-separated) or `scp`.",
    auto_error=False,
)


class BearerAuth:
    """The principal a request's bearer token speaks for, per the app's AuthSettings."""

    def __init__(self, settings: AuthSettings) -> None:
        self._verifier = TokenVerifier(settings) if settings.enabled else None
        self._anonymous = Principal(
            subject=ANONYMOUS, scopes=frozenset({settings.admin_scope}), is_admin=True
        )

    def principal(self, token: str | None) -> Principal:
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
            return self._verifier.verify(token)
        except TokenRejectedError as exc:
            log.debug("bearer token refused: %s", exc.description)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=f"invalid bearer token: {exc.description}",
                headers={"WWW-Authenticate": _challenge("invalid_token", exc.description)},
            ) from None


def install_bearer_auth(app: FastAPI, settings: AuthSettings) -> None:
    app.state.bearer_auth = BearerAuth(settings)
    if not settings.enabled:
        _describe_without_auth(app)


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
    return auth.principal(credentials.credentials if credentials is not None else None)


Caller = Annotated[Principal, Depends(authenticate)]


def require_scope(caller: Principal, scope: str, action: str) -> None:
    """``scope`` or the admin scope."""
    if not (caller.is_admin or scope in caller.scopes):
        raise _forbidden(f"{action} needs the scope '{scope}' (or the admin scope)", scope)


def require_admin(caller: Principal, action: str, hint: str = "") -> None:
    if not caller.is_admin:
        raise _forbidden(f"{action} needs the admin scope" + (f"; {hint}" if hint else ""))


def require_subject(caller: Principal, subject: UUID | str, action: str) -> None:
    """The token's ``sub`` is ``subject``, or it carries the admin scope."""
    if not (caller.is_admin or caller.is_subject(subject)):
        # Not naming the owner: an order's customer is not the caller's business.
        raise _forbidden(
            f"only the user concerned, as the token's subject, or the admin scope may {action}"
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
