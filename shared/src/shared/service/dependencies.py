"""FastAPI dependencies that hand routes what the app's lifespan built."""

from __future__ import annotations

from fastapi import Request

from shared.service.context import UseCaseContext


async def use_case_context(request: Request) -> UseCaseContext:
    context: UseCaseContext = request.app.state.runtime.context
    return context
