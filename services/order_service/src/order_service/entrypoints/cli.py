"""``order-service serve`` and ``order-service migrate``."""

from __future__ import annotations

from collections.abc import Sequence

from order_service.bootstrap import load_settings
from order_service.config import SERVICE
from order_service.entrypoints.app import create_app
from shared.service.cli import run_service_cli


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(SERVICE, argv, load_settings=load_settings, create_app=create_app)
