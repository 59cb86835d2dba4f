"""What the services' HTTP answers have in common, checked once."""

from __future__ import annotations

import httpx


def assert_retry_later(response: httpx.Response) -> None:
    """A 503 that says when to retry and shows no traceback."""
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text
