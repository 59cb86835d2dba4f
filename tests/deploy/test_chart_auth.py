"""The chart fails closed on API authorization: no Ingress in front of APIs without auth,
and auth on needs an issuer, an audience and exactly one key source; the settings it
renders are the ones the services read (EDA_AUTH__*), keys discovered in staging."""

from __future__ import annotations

import pytest

from tests.deploy.chart import (
    CHART,
    Manifest,
    documents,
    helm,
    name,
    of_kind,
    pod_templates,
    render,
)

PROVIDER = (
    "--set", "auth.enabled=true",
    "--set", "auth.issuer=https://id.example.com/realms/eda",
    "--set", "auth.audience=eda-api",
)  # fmt: skip


def refusal(*values: str) -> str:
    result = helm("template", "eda", str(CHART), *values)
    assert result.returncode != 0
    return result.stderr


def api_env(rendered: str) -> dict[str, dict[str, dict[str, str]]]:
    return {
        workload["metadata"]["name"]: {
            variable["name"]: variable for variable in template["spec"]["containers"][0]["env"]
        }
        for workload, template in pod_templates(documents(rendered))
        if template["metadata"]["labels"].get("eda.dev/role") == "api"
    }


def test_no_ingress_while_auth_is_off() -> None:
    message = refusal("--set", "ingress.enabled=true")
    assert (
        "ingress.enabled needs auth.enabled: with auth off every request is an anonymous"
        " admin, so nothing may be exposed"
    ) in message
    rendered = render("values.yaml", "--set", "ingress.enabled=true", *PROVIDER,
                      "--set", "auth.discovery=true")  # fmt: skip
    assert of_kind(documents(rendered), "Ingress")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("--set", "auth.enabled=true", "--set", "auth.audience=a", "--set", "auth.discovery=true"),
         "/auth/issuer"),
        (("--set", "auth.enabled=true", "--set", "auth.issuer=https://x/",
          "--set", "auth.discovery=true"), "/auth/audience"),
        (PROVIDER, "auth.enabled needs exactly one key source"),
        ((*PROVIDER, "--set", "auth.discovery=true", "--set", "auth.existingSecret=k"),
         "auth.enabled needs exactly one key source"),
        ((*PROVIDER, "--set", "auth.jwksUrl=http://id.example.com/certs"), "/auth/jwksUrl"),
        ((*PROVIDER, "--set", "auth.discovery=true", "--set", "auth.adminScope=a b"),
         "/auth/adminScope"),
    ],
)  # fmt: skip
def test_auth_on_needs_issuer_audience_and_one_key_source(
    values: tuple[str, ...], message: str
) -> None:
    assert message in refusal(*values)


def test_keys_from_a_jwks_url_with_a_private_ca() -> None:
    rendered = render(
        "values.yaml", *PROVIDER,
        "--set", "auth.jwksUrl=https://id.example.com/realms/eda/certs",
        "--set", "auth.caSecret=idp-ca",
        "--set", "auth.subjectClaim=oid",
    )  # fmt: skip
    for env in api_env(rendered).values():
        assert env["EDA_AUTH__JWKS_URL"]["value"] == "https://id.example.com/realms/eda/certs"
        assert env["EDA_AUTH__CA_FILE"]["value"] == "/etc/eda/auth/ca/ca.crt"
        assert env["EDA_AUTH__SUBJECT_CLAIM"]["value"] == "oid"
        assert "EDA_AUTH__KEY" not in env
        assert "EDA_AUTH__DISCOVERY" not in env
    for _, template in pod_templates(documents(rendered)):
        if template["metadata"]["labels"].get("eda.dev/role") == "api":
            volumes = {volume["name"]: volume for volume in template["spec"]["volumes"]}
            assert volumes["auth-ca"]["secret"]["secretName"] == "idp-ca"


def test_staging_discovers_the_keys_from_its_issuer() -> None:
    envs = api_env(render("values-staging.yaml"))
    assert len(envs) == 2
    for env in envs.values():
        values = {name: variable.get("value") for name, variable in env.items()}
        assert {
            "EDA_AUTH__ENABLED": "true",
            "EDA_AUTH__ISSUER": "https://id.example.com/realms/eda",
            "EDA_AUTH__AUDIENCE": "eda-api",
            "EDA_AUTH__DISCOVERY": "true",
            "EDA_AUTH__ADMIN_SCOPE": "eda:admin",
            "EDA_AUTH__MAX_TOKEN_LIFETIME_S": "5400",
        }.items() <= values.items()
        assert "EDA_AUTH__KEY" not in env


def test_with_egress_limited_only_the_apis_may_reach_the_identity_provider(
    manifests: dict[str, list[Manifest]],
) -> None:
    """Staging limits egress: without this policy the APIs could not fetch the keys and
    would answer every token 503."""
    policies = of_kind(manifests["values-staging.yaml"], "NetworkPolicy")
    policy = policies[name("egress-identity-provider")]["spec"]
    assert policy["podSelector"]["matchExpressions"] == [
        {"key": "eda.dev/role", "operator": "In", "values": ["api"]}
    ]
    (rule,) = policy["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": "203.0.113.0/24"}}]
    assert rule["ports"] == [{"port": 443, "protocol": "TCP"}]
