"""The EDA_AUTH__* group: off by default, and with auth on a missing issuer or audience,
a missing, unreadable, private, weak or mismatched key, or a key source that cannot work
stops the process at start with the variable named and the key itself never shown."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth_settings import AuthSettings, JwtAlgorithm
from shared.settings import load_settings
from tests.support.settings import refusal

SECRET = secrets.token_urlsafe(48)


def _public_pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_public(rsa_private: rsa.RSAPrivateKey) -> str:
    return _public_pem(rsa_private)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("EDA_"):
            monkeypatch.delenv(name)


def test_auth_is_off_by_default_and_needs_no_key() -> None:
    auth = load_settings().auth
    assert auth == AuthSettings()
    assert (auth.enabled, auth.key, auth.key_file) == (False, None, None)
    assert auth.algorithms == [JwtAlgorithm.RS256]
    assert (auth.issuer, auth.audience, auth.admin_scope, auth.leeway_s) == (
        None,
        None,
        "eda:admin",
        30,
    )
    assert (auth.subject_claim, auth.max_token_lifetime_s, auth.require_at_jwt) == (
        "sub",
        5400,
        False,
    )
    assert (auth.jwks_url, auth.discovery, auth.ca_file) == (None, False, None)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Auth on, with the issuer and audience every enabled configuration needs."""
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__ISSUER", "https://login.example.test/realms/eda")
    monkeypatch.setenv("EDA_AUTH__AUDIENCE", "eda-api")


def _lines(message: str) -> list[str]:
    return [line.strip() for line in message.splitlines()[1:]]


def test_enabled_without_issuer_audience_or_key_names_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _lines(refusal(monkeypatch, EDA_AUTH__ENABLED="true"))
    assert [line.split(":")[0] for line in lines] == [
        "EDA_AUTH__ISSUER",
        "EDA_AUTH__AUDIENCE",
        "EDA_AUTH__KEY",
    ]
    assert lines[0] == (
        "EDA_AUTH__ISSUER: required when EDA_AUTH__ENABLED is true: the identity provider's"
        " issuer, exactly as in the tokens' iss claim"
    )
    assert lines[1].startswith("EDA_AUTH__AUDIENCE: required when EDA_AUTH__ENABLED is true")
    assert lines[2].startswith("EDA_AUTH__KEY: required when EDA_AUTH__ENABLED is true")
    # The alternatives are named too.
    for alternative in ("EDA_AUTH__KEY_FILE", "EDA_AUTH__JWKS_URL", "EDA_AUTH__DISCOVERY"):
        assert alternative in lines[2]


@pytest.mark.usefixtures("provider")
def test_issuer_or_audience_alone_is_not_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_AUTH__DISCOVERY", "true")
    monkeypatch.setenv("EDA_AUTH__AUDIENCE", " ")
    lines = _lines(refusal(monkeypatch))
    assert [line.split(":")[0] for line in lines] == ["EDA_AUTH__AUDIENCE"]


@pytest.mark.usefixtures("provider")
def test_keys_can_come_from_a_jwks_url_or_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_AUTH__JWKS_URL", "https://login.example.test/realms/eda/certs")
    monkeypatch.setenv("EDA_AUTH__JWKS_REFETCH_MIN_S", "10")
    monkeypatch.setenv("EDA_AUTH__JWKS_REFRESH_S", "600")
    auth = load_settings().auth
    assert (auth.jwks_url, auth.key, auth.keys_from_provider) == (
        "https://login.example.test/realms/eda/certs",
        None,
        True,
    )
    assert (auth.jwks_refetch_min_s, auth.jwks_refresh_s) == (10, 600)
    monkeypatch.delenv("EDA_AUTH__JWKS_URL")
    monkeypatch.setenv("EDA_AUTH__DISCOVERY", "true")
    assert load_settings().auth.keys_from_provider


@pytest.mark.usefixtures("provider")
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"EDA_AUTH__JWKS_URL": "http://login.example.test/certs"},
            "EDA_AUTH__JWKS_URL: an https:// URL with a host and no user or password",
        ),
        (
            {"EDA_AUTH__JWKS_URL": "https://login.example.test/certs", "EDA_AUTH__DISCOVERY": "1"},
            "EDA_AUTH__JWKS_URL: set EDA_AUTH__JWKS_URL or EDA_AUTH__DISCOVERY, not both",
        ),
        (
            {"EDA_AUTH__DISCOVERY": "true", "EDA_AUTH__ISSUER": "http://login.example.test/"},
            "EDA_AUTH__ISSUER: EDA_AUTH__DISCOVERY reads the issuer's",
        ),
        (
            {"EDA_AUTH__DISCOVERY": "true", "EDA_AUTH__ALGORITHMS": "HS256"},
            "EDA_AUTH__ALGORITHMS: HS256 needs a shared secret (EDA_AUTH__KEY)",
        ),
        (
            {"EDA_AUTH__DISCOVERY": "true", "EDA_AUTH__KEY": SECRET},
            "EDA_AUTH__KEY: set one key source",
        ),
        ({"EDA_AUTH__SUBJECT_CLAIM": "two words"}, "EDA_AUTH__SUBJECT_CLAIM: one claim name"),
        ({"EDA_AUTH__MAX_TOKEN_LIFETIME_S": "0"}, "EDA_AUTH__MAX_TOKEN_LIFETIME_S:"),
        ({"EDA_AUTH__JWKS_REFETCH_MIN_S": "-1"}, "EDA_AUTH__JWKS_REFETCH_MIN_S:"),
    ],
)
def test_a_key_source_that_cannot_work_is_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    message = refusal(monkeypatch, **variables)
    assert expected in message
    assert SECRET not in message


@pytest.mark.usefixtures("provider")
def test_the_ca_file_must_hold_a_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    message = refusal(
        monkeypatch,
        EDA_AUTH__DISCOVERY="true",
        EDA_AUTH__CA_FILE=str(not_pem),
    )
    assert f"EDA_AUTH__CA_FILE: {not_pem} holds no PEM CA certificate" in message


@pytest.mark.usefixtures("provider")
def test_a_blank_key_counts_as_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, EDA_AUTH__ENABLED="true", EDA_AUTH__KEY="  ")
    assert "EDA_AUTH__KEY: required" in message


def test_every_variable_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, rsa_public: str
) -> None:
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__ALGORITHMS", '["RS256"]')
    monkeypatch.setenv("EDA_AUTH__KEY", rsa_public)
    monkeypatch.setenv("EDA_AUTH__ISSUER", "https://login.example.test/")
    monkeypatch.setenv("EDA_AUTH__AUDIENCE", "eda-api")
    monkeypatch.setenv("EDA_AUTH__ADMIN_SCOPE", "orders:admin")
    monkeypatch.setenv("EDA_AUTH__LEEWAY_S", "5")
    monkeypatch.setenv("EDA_AUTH__SUBJECT_CLAIM", "oid")
    monkeypatch.setenv("EDA_AUTH__MAX_TOKEN_LIFETIME_S", "900")
    monkeypatch.setenv("EDA_AUTH__REQUIRE_AT_JWT", "true")
    auth = load_settings().auth
    assert auth.enabled
    assert auth.key is not None
    assert auth.key.get_secret_value() == rsa_public
    assert (auth.issuer, auth.audience, auth.admin_scope, auth.leeway_s) == (
        "https://login.example.test/",
        "eda-api",
        "orders:admin",
        5,
    )
    assert (auth.subject_claim, auth.max_token_lifetime_s, auth.require_at_jwt) == (
        "oid",
        900,
        True,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HS256", [JwtAlgorithm.HS256]),
        ('["HS256"]', [JwtAlgorithm.HS256]),
        ("ES256", [JwtAlgorithm.ES256]),
        ("EdDSA", [JwtAlgorithm.EDDSA]),
    ],
)
def test_algorithms_come_as_json_or_plain_names(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[JwtAlgorithm]
) -> None:
    monkeypatch.setenv("EDA_AUTH__ALGORITHMS", value)
    assert load_settings().auth.algorithms == expected


@pytest.mark.parametrize("value", ["none", "HS512", "[]", '["RS256", "HS256"]', "[oops"])
def test_unsupported_or_mixed_algorithms_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refusal(monkeypatch, EDA_AUTH__ALGORITHMS=value)
    assert "EDA_AUTH__ALGORITHMS:" in message


def test_hs256_cannot_be_listed_with_a_public_key_algorithm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refusal(monkeypatch, EDA_AUTH__ALGORITHMS="RS256,HS256")
    assert "HS256 (a shared secret) cannot be listed with public-key algorithms" in message


@pytest.mark.usefixtures("provider")
def test_the_key_can_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_public: str
) -> None:
    key_file = tmp_path / "public.pem"
    key_file.write_text(rsa_public + "\n")
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__KEY_FILE", str(key_file))
    auth = load_settings().auth
    assert auth.key is not None
    assert auth.key.get_secret_value() == rsa_public.strip()


@pytest.mark.usefixtures("provider")
def test_a_missing_key_file_names_eda_auth_key_file(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch, EDA_AUTH__ENABLED="true", EDA_AUTH__KEY_FILE="/nonexistent/jwt.pem"
    )
    assert "EDA_AUTH__KEY_FILE: Path does not point to a file" in message
    assert "EDA_AUTH__KEY:" not in message  # one problem, said once


@pytest.mark.usefixtures("provider")
def test_key_and_key_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_public: str
) -> None:
    key_file = tmp_path / "public.pem"
    key_file.write_text(rsa_public)
    message = refusal(
        monkeypatch,
        EDA_AUTH__ENABLED="true",
        EDA_AUTH__KEY=rsa_public,
        EDA_AUTH__KEY_FILE=str(key_file),
    )
    assert "set EDA_AUTH__KEY or EDA_AUTH__KEY_FILE, not both" in message
    assert "BEGIN PUBLIC KEY" not in message


@pytest.mark.usefixtures("provider")
def test_a_private_key_is_refused_without_being_shown(
    monkeypatch: pytest.MonkeyPatch, rsa_private: rsa.RSAPrivateKey
) -> None:
    private_pem = rsa_private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    message = refusal(monkeypatch, EDA_AUTH__ENABLED="true", EDA_AUTH__KEY=private_pem)
    assert "EDA_AUTH__KEY: the key is a private key: give the public key" in message
    assert "PRIVATE KEY" not in message
    assert "(got" not in message  # not even masked: a secret's setting echoes nothing


@pytest.mark.usefixtures("provider")
@pytest.mark.parametrize(
    ("algorithm", "reason"),
    [
        ("ES256", "the key is not a PEM EC P-256 public key, which ES256 needs"),
        ("EdDSA", "the key is not a PEM Ed25519 or Ed448 public key, which EdDSA needs"),
        ("HS256", "the key is not a shared secret (not a PEM key), which HS256 needs"),
    ],
)
def test_a_key_of_another_kind_than_the_algorithm_is_refused(
    monkeypatch: pytest.MonkeyPatch, rsa_public: str, algorithm: str, reason: str
) -> None:
    message = refusal(
        monkeypatch,
        EDA_AUTH__ENABLED="true",
        EDA_AUTH__ALGORITHMS=algorithm,
        EDA_AUTH__KEY=rsa_public,
    )
    assert f"EDA_AUTH__KEY: {reason}" in message


@pytest.mark.usefixtures("provider")
def test_an_ec_key_on_another_curve_is_refused_for_es256(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p384 = _public_pem(ec.generate_private_key(ec.SECP384R1()))
    message = refusal(
        monkeypatch, EDA_AUTH__ENABLED="true", EDA_AUTH__ALGORITHMS="ES256", EDA_AUTH__KEY=p384
    )
    assert "which ES256 needs" in message


@pytest.mark.usefixtures("provider")
def test_weak_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    short_secret = secrets.token_hex(10)  # 20 bytes; HS256 needs 32
    message = refusal(
        monkeypatch,
        EDA_AUTH__ENABLED="true",
        EDA_AUTH__ALGORITHMS="HS256",
        EDA_AUTH__KEY=short_secret,
    )
    assert "EDA_AUTH__KEY: the key is too weak for HS256" in message
    assert short_secret not in message
    # Weak on purpose: the settings must refuse it.
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    message = refusal(
        monkeypatch,
        EDA_AUTH__ENABLED="true",
        EDA_AUTH__ALGORITHMS="RS256",
        EDA_AUTH__KEY=_public_pem(weak),
    )
    assert "the key is too weak for RS256" in message


@pytest.mark.usefixtures("provider")
def test_the_secret_stays_out_of_repr_and_of_other_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__ALGORITHMS", "HS256")
    monkeypatch.setenv("EDA_AUTH__KEY", SECRET)
    settings = load_settings()
    assert settings.auth.key is not None
    assert settings.auth.key.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.auth)
    assert SECRET not in settings.model_dump_json()
    message = refusal(monkeypatch, EDA_AUTH__LEEWAY_S="-1", EDA_AUTH__ADMIN_SCOPE="two words")
    assert "EDA_AUTH__LEEWAY_S" in message
    assert "EDA_AUTH__ADMIN_SCOPE" in message
    assert SECRET not in message


def test_blank_issuer_and_audience_are_not_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDA_AUTH__ISSUER", "")
    monkeypatch.setenv("EDA_AUTH__AUDIENCE", " ")
    monkeypatch.setenv("EDA_AUTH__KEY_FILE", "")
    auth = load_settings().auth
    assert (auth.issuer, auth.audience, auth.key_file) == (None, None, None)


def test_with_auth_off_the_key_is_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_AUTH__KEY", "not a key at all")
    assert load_settings().auth.enabled is False
