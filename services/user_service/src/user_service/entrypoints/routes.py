"""HTTP routes for users: translate requests into use cases and users into responses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from shared.http.auth import AUTH_RESPONSES, Caller, require_admin, require_scope, require_subject
from shared.service import UseCaseContext
from shared.service.dependencies import use_case_context
from user_service.entrypoints.requests import RegisterUserRequest
from user_service.entrypoints.responses import (
    NotificationResponse,
    NotificationsResponse,
    UserResponse,
    UsersPageResponse,
)
from user_service.service_layer import queries, users

router = APIRouter(prefix="/users", tags=["users"], responses=AUTH_RESPONSES)

# Held by whatever registers users (a sign-up front end); a user's own token lacks it.
REGISTRATION_SCOPE = "users:write"

Responses = dict[int | str, dict[str, Any]]
_CONFLICT: Responses = {409: {"description": "the request contradicts the user's state"}}
_NOT_FOUND: Responses = {404: {"description": "no user with this id"}}


Context = Annotated[UseCaseContext, Depends(use_case_context)]


@router.post("", status_code=201, responses=_CONFLICT)
async def register_user(
    body: RegisterUserRequest, context: Context, caller: Caller
) -> UserResponse:
    require_scope(caller, REGISTRATION_SCOPE, "registering a user")
    return UserResponse.of(await users.register_user(context, body.email, body.name))


@router.get("")
async def list_users(
    context: Context,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> UsersPageResponse:
    require_admin(caller, "listing users")
    return UsersPageResponse.of(await queries.list_users(context, cursor=cursor, limit=limit))


@router.get("/{user_id}", responses=_NOT_FOUND)
async def get_user(user_id: UUID, context: Context, caller: Caller) -> UserResponse:
    require_subject(caller, user_id, "read this user")
    return UserResponse.of(await queries.get_user(context, user_id))


@router.post("/{user_id}/deactivate", responses={**_NOT_FOUND, **_CONFLICT})
async def deactivate_user(user_id: UUID, context: Context, caller: Caller) -> UserResponse:
    require_subject(caller, user_id, "deactivate this user")
    return UserResponse.of(await users.deactivate_user(context, user_id))


@router.get("/{user_id}/notifications", responses=_NOT_FOUND)
async def list_notifications(
    user_id: UUID,
    context: Context,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> NotificationsResponse:
    """The user's newest notifications first."""
    require_subject(caller, user_id, "read this user's notifications")
    found = await queries.list_notifications(context, user_id, limit)
    return NotificationsResponse(items=[NotificationResponse.of(item) for item in found])
