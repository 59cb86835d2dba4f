"""What makes the user-service itself; the settings every service shares come from
``shared.service``."""

from __future__ import annotations

from pathlib import Path

from shared.service import ServiceDefinition

SERVICE = ServiceDefinition(
    name="user-service",
    summary="Users: register, read, list and deactivate; order statistics and notifications",
    database="users",
    http_port=8001,
    migrations_dir=Path(__file__).resolve().parent / "migrations",
    migrations_namespace="user_service",
    readiness_table="users",
)
