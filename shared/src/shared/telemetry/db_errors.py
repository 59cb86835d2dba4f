"""A database error on a span without its message.

A MySQL error's message may quote the values of the statement (``Duplicate entry
'ann@example.com' for key 'email'``): personal data that must not reach the traces. So
a span gets the error's type (``error.type``, and an ``exception`` event with only
``exception.type``) and the server's error number (``db.response.status_code``, as
the database semantic conventions name it), never the message or the stack trace.
"""

from __future__ import annotations

import pymysql
from opentelemetry.trace import Span, Status, StatusCode


def is_database_error(error: BaseException) -> bool:
    return isinstance(error, pymysql.err.MySQLError)


def error_code(error: BaseException) -> int | None:
    """The MySQL error number (1062: duplicate key), or None when there is none."""
    if not is_database_error(error) or not error.args:
        return None
    code = error.args[0]
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def record_database_error(span: Span, error: BaseException) -> None:
    """Mark ``span`` failed by ``error``: type and error code only, no message."""
    kind = type(error)
    qualified = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    attributes: dict[str, str] = {"error.type": qualified}
    code = error_code(error)
    if code is not None:
        attributes["db.response.status_code"] = str(code)
    span.set_attributes(attributes)
    span.add_event("exception", {"exception.type": qualified})
    span.set_status(Status(StatusCode.ERROR, kind.__name__))
