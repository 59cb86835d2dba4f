"""Helpers the user-service integration tests share."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI


def use_context(app: FastAPI, **changes: object) -> None:
    """Swap parts of the running app's use-case context, e.g. a fixed clock."""
    app.state.runtime.context = replace(app.state.runtime.context, **changes)
