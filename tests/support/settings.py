"""Settings the shared loader refuses, read from the environment as the processes do."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError, load_settings


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The message load_settings() refuses the variables with, on top of the environment."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    return str(raised.value)
