"""The user-service's FastAPI application: its routes and errors on the shared app."""

from __future__ import annotations

from fastapi import FastAPI

from shared.service.app import app_factory
from user_service.bootstrap import load_settings
from user_service.entrypoints.errors import HTTP_ANSWERS
from user_service.entrypoints.routes import router

create_app = app_factory(load_settings, routers=[router], errors=HTTP_ANSWERS)


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory user_service.entrypoints.app:app_from_environment``."""
    return create_app()
