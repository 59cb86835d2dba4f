"""The header in the OpenAPI document: a parameter of every POST, and its answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.service.idempotency_keys.header import (
    IDEMPOTENCY_KEY,
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    REPLAYED,
)

_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry: the first request with a key runs, a retry with the"
        " same key and the same request gets the stored response again (with"
        f" `{REPLAYED}: true`) and changes nothing. Keys are kept per caller for"
        " `EDA_IDEMPOTENCY__RETENTION_S` (24 h by default). 1 to 255 printable ASCII"
        ' characters, bare or as a structured-field string (`"..."`).'
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
_ANSWERS: dict[str, dict[str, Any]] = {
    "400": {"description": f"The {IDEMPOTENCY_KEY} is empty, too long or not printable ASCII"},
    "409": {
        "description": f"A request with this {IDEMPOTENCY_KEY} is still in flight;"
        " retry after Retry-After"
    },
    "422": {"description": f"The {IDEMPOTENCY_KEY} was used for another request, or invalid input"},
}


def describe_idempotency_keys(app: FastAPI) -> None:
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = describe()  # builds and caches app.openapi_schema: edited in place
        for item in document.get("paths", {}).values():
            operation = item.get("post")
            if operation is None:
                continue
            operation.setdefault("parameters", []).append(dict(_PARAMETER))
            responses = operation.setdefault("responses", {})
            for code, answer in _ANSWERS.items():
                responses.setdefault(code, {**answer, "content": _PROBLEM})
        return document

    app.openapi = openapi  # type: ignore[method-assign]
