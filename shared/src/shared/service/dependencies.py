"""FastAPI dependencies that hand routes what the app's lifespan built."""

from __future__ import annotations

from fastapi import Request

from shared.service.context import UseCaseContext
from shared.service.idempotency_keys.transaction import request_transaction


async def use_case_context(request: Request) -> UseCaseContext:
    """The runtime's context; with an idempotency key, one whose units of work are the
    request's single transaction, committed with the stored response."""
    context: UseCaseContext = request.app.state.runtime.context
    transaction = request_transaction(request)
    return context if transaction is None else transaction.context_for(context)
