"""``user-service serve`` and ``user-service migrate``."""

from __future__ import annotations

from collections.abc import Sequence

from shared.service.cli import run_service_cli
from user_service.bootstrap import load_settings
from user_service.config import SERVICE
from user_service.entrypoints.app import create_app


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(SERVICE, argv, load_settings=load_settings, create_app=create_app)
