"""The operator's settings as the environment gives them: the management API's monitoring
user from variables or files (never shown), its CA, the fallbacks when no user of its own
is set, and variables that name no setting refused with the nearest valid name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaling_operator.settings import load_config
from scaling_operator.startup import credentials_warning
from shared.settings import SettingsError

PREFIX = "EDA_OPERATOR__RABBITMQ_MANAGEMENT_"
SECRET = "pw-never-shown-7Qx"  # noqa: S105 (made up: checked never to be shown)


@pytest.fixture(autouse=True)
def _no_eda_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in list(os.environ):
        if variable.startswith("EDA_"):
            monkeypatch.delenv(variable)


def _secret_file(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content + "\n")  # as a mounted Secret often ends
    return path


def _refused(match: str | None = None) -> str:
    with pytest.raises(SettingsError) as raised:
        load_config()
    message = str(raised.value)
    if match is not None:
        assert match in message, message
    return message


def test_the_monitoring_user_comes_from_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREFIX + "URL", "https://rabbitmq.example:15671")
    monkeypatch.setenv(
        PREFIX + "USERNAME_FILE", str(_secret_file(tmp_path, "username", "eda-monitor"))
    )
    monkeypatch.setenv(PREFIX + "PASSWORD_FILE", str(_secret_file(tmp_path, "password", SECRET)))
    config = load_config()
    management = config.management
    assert (management.user, management.password) == ("eda-monitor", SECRET)
    assert management.credentials_source == "own"
    assert management.base_url == "https://rabbitmq.example:15671"
    assert credentials_warning(config) is None
    for shown in (repr(config), repr(config.operator), repr(management), str(config.operator)):
        assert SECRET not in shown


def test_the_monitoring_user_comes_from_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREFIX + "USERNAME", "eda-monitor")
    monkeypatch.setenv(PREFIX + "PASSWORD", SECRET)
    monkeypatch.setenv("EDA_RABBITMQ__URL", "amqp://app:app-pw@rabbitmq:5672/orders")
    config = load_config()
    management = config.management
    assert (management.user, management.password) == ("eda-monitor", SECRET)
    assert management.vhost == "orders"  # still the AMQP URL's
    assert SECRET not in repr(config)
    assert SECRET not in repr(config.operator.model_dump())


def test_a_value_and_its_file_together_are_refused_without_showing_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREFIX + "USERNAME", "eda-monitor")
    monkeypatch.setenv(PREFIX + "PASSWORD", SECRET)
    monkeypatch.setenv(
        PREFIX + "PASSWORD_FILE", str(_secret_file(tmp_path, "password", SECRET + "-file"))
    )
    message = _refused(f"{PREFIX}PASSWORD_FILE: set this or the variable without _FILE")
    assert SECRET not in message


def test_an_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREFIX + "USERNAME", "eda-monitor")
    monkeypatch.setenv(PREFIX + "PASSWORD_FILE", str(tmp_path / "missing"))
    _refused(f"{PREFIX}PASSWORD_FILE: cannot read {tmp_path / 'missing'}")


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"PASSWORD": SECRET}, f"{PREFIX}PASSWORD is set without {PREFIX}USERNAME"),
        ({"USERNAME": "eda-monitor"}, f"{PREFIX}USERNAME needs {PREFIX}PASSWORD"),
        (
            {"USERNAME": "eda-monitor", "PASSWORD": "x", "URL": f"http://u:{SECRET}@rabbitmq"},
            f"{PREFIX}URL carries user info and {PREFIX}USERNAME is set",
        ),
        ({"URL": f"ftp://u:{SECRET}@rabbitmq"}, f"{PREFIX}URL must be an http:// or https:// URL"),
        ({"CAFILE": "/etc/ca.pem"}, f"{PREFIX}CAFILE is set but {PREFIX}URL is not https://"),
    ],
)
def test_inconsistent_management_settings_are_refused_without_secrets(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], problem: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(PREFIX + name, value)
    assert SECRET not in _refused(problem)


def test_without_a_user_of_its_own_the_old_fallbacks_stay_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDA_RABBITMQ__URL", f"amqp://app:{SECRET}@rabbitmq:5672/")
    config = load_config()
    assert (config.management.user, config.management.password) == ("app", SECRET)
    assert config.management.credentials_source == "amqp"
    warning = credentials_warning(config)
    assert warning is not None
    assert "the application's credentials (the user of EDA_RABBITMQ__URL)" in warning
    assert f"{PREFIX}USERNAME and {PREFIX}PASSWORD" in warning
    assert SECRET not in warning

    monkeypatch.setenv(PREFIX + "URL", "http://monitor:monitor%2Fpw@rabbitmq:15672")
    config = load_config()
    assert (config.management.user, config.management.password) == ("monitor", "monitor/pw")
    assert config.management.base_url == "http://rabbitmq:15672"  # no user info
    assert f"the user info of {PREFIX}URL" in (credentials_warning(config) or "")


def test_the_ca_is_the_operators_else_the_amqp_links_else_the_systems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREFIX + "URL", "https://rabbitmq:15671")
    assert load_config().management.cafile is None  # the system's CAs

    monkeypatch.setenv("EDA_RABBITMQ__URL", "amqps://app:pw@rabbitmq:5671/")
    monkeypatch.setenv("EDA_RABBITMQ__SSL_CAFILE", str(tmp_path / "amqp-ca.pem"))
    management = load_config().management
    assert management.cafile == tmp_path / "amqp-ca.pem"
    assert "EDA_RABBITMQ__SSL_CAFILE" in management.cafile_setting

    monkeypatch.setenv(PREFIX + "CAFILE", str(tmp_path / "management-ca.pem"))
    management = load_config().management
    assert management.cafile == tmp_path / "management-ca.pem"
    assert management.cafile_setting == PREFIX + "CAFILE"

    # Plain http has no CA, whatever the AMQP link uses.
    monkeypatch.delenv(PREFIX + "CAFILE")
    monkeypatch.setenv(PREFIX + "URL", "http://rabbitmq:15672")
    assert (load_config().management.tls, load_config().management.cafile) == (False, None)


@pytest.mark.parametrize(
    ("variable", "nearest"),
    [
        ("EDA_OPERATOR__RABBITMQ_MANAGMENT_USERNAME", PREFIX + "USERNAME"),
        (PREFIX + "PASWORD_FILE", PREFIX + "PASSWORD_FILE"),
        ("EDA_OPERATOR__INTERVAL", "EDA_OPERATOR__INTERVAL_S"),
    ],
)
def test_an_unknown_variable_is_refused_with_the_nearest_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, nearest: str
) -> None:
    monkeypatch.setenv(variable, SECRET)
    message = _refused(f"{variable}: not a setting; did you mean {nearest}?")
    assert SECRET not in message


def test_a_bad_value_names_the_operators_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_OPERATOR__INTERVAL_S", "soon")
    message = _refused("EDA_OPERATOR__INTERVAL_S: Input should be a valid number")
    assert "(got 'soon')" in message
