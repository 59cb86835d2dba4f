"""HTTP routes for orders: translate requests into use cases and orders into responses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response, status

from order_service.entrypoints.requests import CancelOrderRequest, PlaceOrderRequest
from order_service.entrypoints.responses import OrderPageResponse, OrderResponse
from order_service.service_layer import orders, queries
from shared.http.auth import AUTH_RESPONSES, Caller, Principal, require_admin, require_subject
from shared.service import UseCaseContext
from shared.service.dependencies import use_case_context

router = APIRouter(prefix="/orders", tags=["orders"], responses=AUTH_RESPONSES)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No order has this id"},
    409: {"description": "The order's status does not allow the change"},
    422: {"description": "Invalid input, with a message per field"},
    503: {"description": "The database is unreachable; retry after Retry-After seconds"},
}


Context = Annotated[UseCaseContext, Depends(use_case_context)]


async def _require_owner(
    context: UseCaseContext, caller: Principal, order_id: UUID, action: str
) -> None:
    """The order's customer or an admin; an unknown order is a 404 first."""
    if caller.is_admin:
        return  # no read needed (and none made with auth off)
    order = await queries.get_order(context, order_id)
    require_subject(caller, order.user_id, action)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={code: _ERRORS[code] for code in (422, 503)},
    summary="Place an order; it stays pending until confirmed or rejected",
)
async def place_order(
    body: PlaceOrderRequest, response: Response, context: Context, caller: Caller
) -> OrderResponse:
    require_subject(caller, body.user_id, "place an order for this user")
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
    responses={code: _ERRORS[code] for code in (422, 503)},
    summary="Orders oldest first, one keyset page at a time",
)
async def list_orders(
    context: Context,
    caller: Caller,
    user_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> OrderPageResponse:
    if user_id is None:
        require_admin(caller, "listing every customer's orders", "pass user_id to list one's own")
    else:
        require_subject(caller, user_id, "list this user's orders")
    page = await queries.list_orders(context, user_id=user_id, cursor=cursor, limit=limit)
    return OrderPageResponse.of(page)


@router.get("/{order_id}", responses={code: _ERRORS[code] for code in (404, 422, 503)})
async def get_order(order_id: UUID, context: Context, caller: Caller) -> OrderResponse:
    order = await queries.get_order(context, order_id)
    require_subject(caller, order.user_id, "read this order")
    return OrderResponse.of(order)


@router.post(
    "/{order_id}/cancel",
    responses=_ERRORS,
    summary="Cancel a pending or confirmed order",
)
async def cancel_order(
    order_id: UUID,
    context: Context,
    caller: Caller,
    body: Annotated[CancelOrderRequest | None, Body()] = None,
) -> OrderResponse:
    await _require_owner(context, caller, order_id, "cancel this order")
    reason = (body or CancelOrderRequest()).reason
    return OrderResponse.of(await orders.cancel_order(context, order_id, reason))
