"""HTTP routes for orders: translate requests into use cases and orders into responses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response, Security, status

from order_service.entrypoints.requests import CancelOrderRequest, PlaceOrderRequest
from order_service.entrypoints.responses import OrderPageResponse, OrderResponse
from order_service.service_layer import orders, queries
from shared.http.auth import (
    AUTH_RESPONSES,
    Principal,
    authenticate,
    require_admin,
    require_identity,
    require_scope,
)
from shared.service import UseCaseContext
from shared.service.dependencies import use_case_context

router = APIRouter(prefix="/orders", tags=["orders"], responses=AUTH_RESPONSES)

# Held by a user's own token (decision 30); the admin scope passes every check.
ORDERS_WRITE = "orders:write"
ORDERS_READ = "orders:read"

# The scope each route needs, in the OpenAPI document too (the operation's security).
Writer = Annotated[Principal, Security(authenticate, scopes=[ORDERS_WRITE])]
Reader = Annotated[Principal, Security(authenticate, scopes=[ORDERS_READ])]

_ERRORS: dict[int, dict[str, Any]] = {
    404: {"description": "No order has this id"},
    409: {"description": "The order's status does not allow the change"},
    422: {"description": "Invalid input, with a message per field"},
    503: {"description": "The database is unreachable; retry after Retry-After seconds"},
}


_OWN_ORDERS = (
    "The token lacks the scope (`{}`) or is not the identity the customer registered with"
    " (the token's issuer and subject), as the order-service knows it once user.registered"
    " has arrived; the admin scope passes"
)


def _errors(*codes: int, scope: str) -> dict[int | str, dict[str, Any]]:
    described: dict[int | str, dict[str, Any]] = {code: _ERRORS[code] for code in codes}
    described[403] = {"description": _OWN_ORDERS.format(scope)}
    return described


Context = Annotated[UseCaseContext, Depends(use_case_context)]


async def _require_customer(
    context: UseCaseContext, caller: Principal, user_id: UUID, action: str
) -> None:
    """The customer's own identity or an admin. A customer the projection does not know
    yet has no identity here, so only admins may act for it until user.registered comes."""
    if caller.is_admin:
        return  # no read needed (and none made with auth off)
    require_identity(caller, await queries.customer_identity(context, user_id), action)


async def _require_owner(
    context: UseCaseContext, caller: Principal, order_id: UUID, action: str
) -> None:
    """The order's customer or an admin; an unknown order is a 404 first."""
    if caller.is_admin:
        return  # no read needed (and none made with auth off)
    order = await queries.get_order(context, order_id)
    await _require_customer(context, caller, order.user_id, action)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_errors(422, 503, scope=ORDERS_WRITE),
    summary="Place an order; it stays pending until confirmed or rejected",
)
async def place_order(
    body: PlaceOrderRequest, response: Response, context: Context, caller: Writer
) -> OrderResponse:
    require_scope(caller, ORDERS_WRITE, "placing an order")
    await _require_customer(context, caller, body.user_id, "place an order for this user")
    order = await orders.place_order(
        context,
        user_id=body.user_id,
        currency=body.currency,
        lines=[item.to_line() for item in body.items],
    )
    response.headers["Location"] = f"/orders/{order.id}"
    return OrderResponse.of(order)


@router.get(
    "",
    responses=_errors(422, 503, scope=ORDERS_READ),
    summary="Orders oldest first, one keyset page at a time",
)
async def list_orders(
    context: Context,
    caller: Reader,
    user_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> OrderPageResponse:
    require_scope(caller, ORDERS_READ, "listing orders")
    if user_id is None:
        require_admin(caller, "listing every customer's orders", "pass user_id to list one's own")
    else:
        await _require_customer(context, caller, user_id, "list this user's orders")
    page = await queries.list_orders(context, user_id=user_id, cursor=cursor, limit=limit)
    return OrderPageResponse.of(page)


@router.get("/{order_id}", responses=_errors(404, 422, 503, scope=ORDERS_READ))
async def get_order(order_id: UUID, context: Context, caller: Reader) -> OrderResponse:
    require_scope(caller, ORDERS_READ, "reading an order")
    order = await queries.get_order(context, order_id)
    await _require_customer(context, caller, order.user_id, "read this order")
    return OrderResponse.of(order)


@router.post(
    "/{order_id}/cancel",
    responses=_errors(404, 409, 422, 503, scope=ORDERS_WRITE),
    summary="Cancel a pending or confirmed order",
)
async def cancel_order(
    order_id: UUID,
    context: Context,
    caller: Writer,
    body: Annotated[CancelOrderRequest | None, Body()] = None,
) -> OrderResponse:
    require_scope(caller, ORDERS_WRITE, "cancelling an order")
    await _require_owner(context, caller, order_id, "cancel this order")
    reason = (body or CancelOrderRequest()).reason
    return OrderResponse.of(await orders.cancel_order(context, order_id, reason))
