"""HTTP routes for users: translate requests into use cases and users into responses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Security

from shared.http.auth import (
    AUTH_RESPONSES,
    Caller,
    Principal,
    authenticate,
    require_admin,
    require_identity,
    require_scope,
)
from shared.service import UseCaseContext
from shared.service.dependencies import use_case_context
from user_service.domain.identity import Identity
from user_service.entrypoints.requests import RegisterUserRequest
from user_service.entrypoints.responses import (
    NotificationResponse,
    NotificationsResponse,
    UserResponse,
    UsersPageResponse,
)
from user_service.service_layer import queries, users

router = APIRouter(prefix="/users", tags=["users"], responses=AUTH_RESPONSES)

# Held by a user's own token (decision 30); the admin scope passes every check.
USERS_WRITE = "users:write"
USERS_READ = "users:read"

# The scope each route needs, in the OpenAPI document too (the operation's security).
Writer = Annotated[Principal, Security(authenticate, scopes=[USERS_WRITE])]
Reader = Annotated[Principal, Security(authenticate, scopes=[USERS_READ])]

Responses = dict[int | str, dict[str, Any]]
_CONFLICT: Responses = {409: {"description": "the request contradicts the user's state"}}
_NOT_FOUND: Responses = {404: {"description": "no user with this id"}}


def _forbidden(rule: str) -> Responses:
    return {403: {"description": rule}}


_OWN_USER = (
    "The token lacks the scope (`{}`) or is not the identity the user was registered by"
    " (the token's issuer and subject); the admin scope passes"
)
_REGISTERS: Responses = {
    409: {"description": "the email, or the caller's identity, already has a user"},
    **_forbidden(
        f"The token lacks the scope `{USERS_WRITE}` (the admin scope passes), or names an"
        " identity without the admin scope"
    ),
}


Context = Annotated[UseCaseContext, Depends(use_case_context)]


@router.post("", status_code=201, responses=_REGISTERS)
async def register_user(
    body: RegisterUserRequest, context: Context, caller: Writer
) -> UserResponse:
    """Register a user known by the caller's identity: the token's issuer and subject.
    An admin registers for the identity the body names, or for none (admins only then)."""
    require_scope(caller, USERS_WRITE, "registering a user")
    if body.identity is not None:
        require_admin(caller, "registering a user for a named identity")
    identity = _identity_for(caller, body)
    return UserResponse.of(await users.register_user(context, body.email, body.name, identity))


def _identity_for(caller: Principal, body: RegisterUserRequest) -> Identity | None:
    if body.identity is not None:
        return body.identity.to_identity()
    # An admin registers on someone's behalf: binding the admin's own identity would
    # give the new user to the admin, and a second such registration would be a 409.
    return None if caller.is_admin else Identity(caller.issuer, caller.subject)


@router.get("")
async def list_users(
    context: Context,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> UsersPageResponse:
    require_admin(caller, "listing users")
    return UsersPageResponse.of(await queries.list_users(context, cursor=cursor, limit=limit))


@router.get("/{user_id}", responses={**_NOT_FOUND, **_forbidden(_OWN_USER.format(USERS_READ))})
async def get_user(user_id: UUID, context: Context, caller: Reader) -> UserResponse:
    require_scope(caller, USERS_READ, "reading a user")
    user = await queries.get_user(context, user_id)
    require_identity(caller, user.identity_key, "read this user")
    return UserResponse.of(user)


@router.post(
    "/{user_id}/deactivate",
    responses={**_NOT_FOUND, **_CONFLICT, **_forbidden(_OWN_USER.format(USERS_WRITE))},
)
async def deactivate_user(user_id: UUID, context: Context, caller: Writer) -> UserResponse:
    require_scope(caller, USERS_WRITE, "deactivating a user")
    await _require_own_user(context, caller, user_id, "deactivate this user")
    return UserResponse.of(await users.deactivate_user(context, user_id))


@router.get(
    "/{user_id}/notifications",
    responses={**_NOT_FOUND, **_forbidden(_OWN_USER.format(USERS_READ))},
)
async def list_notifications(
    user_id: UUID,
    context: Context,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> NotificationsResponse:
    """The user's newest notifications first."""
    require_scope(caller, USERS_READ, "reading a user's notifications")
    await _require_own_user(context, caller, user_id, "read this user's notifications")
    found = await queries.list_notifications(context, user_id, limit)
    return NotificationsResponse(items=[NotificationResponse.of(item) for item in found])


async def _require_own_user(
    context: UseCaseContext, caller: Principal, user_id: UUID, action: str
) -> None:
    """The user's own identity or an admin; an unknown user is a 404 first. An identity
    never changes, so reading it before the use case leaves no gap to exploit."""
    if caller.is_admin:
        return  # no read needed (and none made with auth off)
    user = await queries.get_user(context, user_id)
    require_identity(caller, user.identity_key, action)
