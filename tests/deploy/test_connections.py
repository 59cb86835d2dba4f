"""Connections to managed infrastructure: every container that connects mounts the
Secrets its settings name, each workload gets only the connections it uses, the
migrations log in as the DDL user and everything else as the DML user, the escape
hatches (extraEnv, extraVolumes, ServiceAccount annotations, extra NetworkPolicy
rules) render, the egress policy opens exactly what is configured, and bad values are
refused with a message naming them (docs/deploy.md, Connecting to managed
infrastructure)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tests.deploy.chart import (
    Manifest,
    coalesced,
    documents,
    kubernetes_validate,
    name,
    of_kind,
    pod_templates,
    render,
    template_with_bad_values,
    validation_problems,
    values_of,
)

# Settings that name a file, by how their names end (the brief's contract with the code).
PATH_SUFFIXES = ("_FILE", "_CAFILE", "_CERTFILE", "_KEYFILE", "SSL_CA", "SSL_CERT", "SSL_KEY")
KAFKA_SASL, KAFKA_TLS = "EDA_KAFKA__SASL_", "EDA_KAFKA__SSL_"
RABBITMQ_TLS, MYSQL_TLS = "EDA_RABBITMQ__SSL_", "EDA_MYSQL__SSL_"
MANAGEMENT = "EDA_OPERATOR__RABBITMQ_MANAGEMENT_"
# Every connection setting the chart may set (the plain ones and those naming files).
CONNECTION_SETTINGS = (
    "EDA_KAFKA__SECURITY_PROTOCOL", KAFKA_SASL, KAFKA_TLS, RABBITMQ_TLS, MYSQL_TLS,
    MANAGEMENT + "USERNAME_FILE", MANAGEMENT + "PASSWORD_FILE", MANAGEMENT + "CAFILE",
)  # fmt: skip


def names_a_file(variable: str) -> bool:
    return variable.startswith("EDA_") and variable.endswith(PATH_SUFFIXES)


def expected_secret(variable: str, values: dict[str, Any], principal: str) -> str:
    """The Secret values say a path setting's file comes from; ``principal`` is the
    workload's own broker user (its Secret, if workloadCredentials names one)."""
    if variable.startswith(KAFKA_SASL):
        own = values.get("workloadCredentials", {}).get("secrets", {}).get(principal)
        return str(own or values["kafka"]["security"]["existingSecret"])
    if variable.startswith(KAFKA_TLS):
        return str(values["kafka"]["security"]["tls"]["existingSecret"])
    if variable.startswith(RABBITMQ_TLS) or variable == MANAGEMENT + "CAFILE":
        return str(values["rabbitmq"]["tls"]["existingSecret"])
    if variable.startswith(MANAGEMENT):
        return str(values["operator"]["rabbitmqManagementExistingSecret"])
    if variable.startswith(MYSQL_TLS):
        return str(values["mysql"]["tls"]["existingSecret"])
    raise AssertionError(f"{variable}: the chart should set no such path")


def containers(template: Manifest) -> Iterator[tuple[str, Manifest]]:
    """(kind of container, container) of a pod template, init containers included."""
    for container in template["spec"].get("initContainers") or []:
        yield "init", container
    for container in template["spec"]["containers"]:
        yield "main", container


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {variable["name"]: variable for variable in container.get("env") or []}


def render_with(overlay: dict[str, Any], tmp_path: Path, base: str = "values.yaml") -> str:
    values = tmp_path / f"overlay-{len(list(tmp_path.iterdir()))}.yaml"
    values.write_text(yaml.safe_dump(overlay))
    return render(base, "--values", str(values))


def values_with(overlay: dict[str, Any], base: str = "values.yaml") -> dict[str, Any]:
    return coalesced(values_of(base), overlay)


def check_mounts(manifests: list[Manifest], values: dict[str, Any]) -> dict[str, set[str]]:
    """For every path setting of every application container: the path lies below a
    read-only mount of that container, whose volume is in the pod and comes from the
    Secret values name for the setting, and holds the file as one of its keys.
    Returns container -> the path settings it has."""
    seen: dict[str, set[str]] = {}
    for workload, template in pod_templates(manifests):
        if template["metadata"]["labels"]["eda.dev/tier"] != "app":
            continue
        volumes = {volume["name"]: volume for volume in template["spec"].get("volumes", [])}
        for kind, container in containers(template):
            label = f"{workload['metadata']['name']}/{kind}:{container['name']}"
            env = env_of(container)
            principal = (
                "operator"
                if template["metadata"]["labels"]["eda.dev/role"] == "operator"
                else env.get("OTEL_SERVICE_NAME", {}).get("value", "")
            )
            paths = {n: v for n, v in env.items() if names_a_file(n)}
            seen[label] = set(paths)
            for variable, entry in paths.items():
                assert "value" in entry, f"{label}: {variable} is not a plain path"
                path = PurePosixPath(entry["value"])
                mounts = [
                    m
                    for m in container.get("volumeMounts", [])
                    if path.is_relative_to(PurePosixPath(m["mountPath"]))
                ]
                assert mounts, f"{label}: {variable}={path} lies below no mount"
                (mount,) = mounts
                assert mount.get("readOnly") is True, f"{label}: {mount['name']} is writable"
                volume = volumes.get(mount["name"])
                assert volume is not None, f"{label}: volume {mount['name']} is not in the pod"
                assert "secret" in volume, f"{label}: {mount['name']} is not a Secret"
                secret = volume["secret"]
                assert secret["secretName"] == expected_secret(variable, values, principal), (
                    f"{label}: {variable} reads {secret['secretName']}"
                )
                relative = str(path.relative_to(PurePosixPath(mount["mountPath"])))
                assert relative in {item["path"] for item in secret["items"]}, (
                    f"{label}: {variable} names {relative}, not a key mounted from the Secret"
                )
    return seen


def _group(settings: set[str], prefix: str) -> set[str]:
    return {s for s in settings if s.startswith(prefix)}


def test_staging_mounts_what_every_connection_setting_names(
    manifests: dict[str, list[Manifest]],
) -> None:
    rendered = manifests["values-staging.yaml"]
    seen = check_mounts(rendered, values_of("values-staging.yaml"))
    sasl = {KAFKA_SASL + "USERNAME_FILE", KAFKA_SASL + "PASSWORD_FILE"}
    brokers = sasl | {KAFKA_TLS + "CAFILE", RABBITMQ_TLS + "CAFILE"}
    management = {MANAGEMENT + s for s in ("USERNAME_FILE", "PASSWORD_FILE", "CAFILE")}
    roles = {
        w["metadata"]["name"]: t["metadata"]["labels"]["eda.dev/role"]
        for w, t in pod_templates(rendered)
    }
    assert set(roles.values()) == {"api", "subscriber", "operator", "migration"}
    for label, settings in seen.items():
        role = roles[label.split("/", 1)[0]]
        wanted = {
            "api": brokers | {MYSQL_TLS + "CA"},
            "subscriber": brokers | {MYSQL_TLS + "CA"},
            "operator": brokers | management,  # no database
            "migration": {MYSQL_TLS + "CA"},  # only the database
        }[role]
        assert settings == wanted, label


def test_the_operator_gets_the_brokers_and_no_database_settings(
    manifests: dict[str, list[Manifest]],
) -> None:
    operator = of_kind(manifests["values-staging.yaml"], "Deployment")[name("operator")]
    spec = operator["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    env = env_of(container)
    assert env["EDA_KAFKA__SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert env["EDA_KAFKA__SASL_MECHANISM"]["value"] == "SCRAM-SHA-512"
    assert env["EDA_OPERATOR__RABBITMQ_MANAGEMENT_URL"]["value"].startswith("https://")
    assert not [variable for variable in env if variable.startswith("EDA_MYSQL__")]
    assert "mysql-tls" not in {volume["name"] for volume in spec["volumes"]}


def test_client_certificates_and_oauthbearer_mount_every_file_they_name(tmp_path: Path) -> None:
    """Mutual TLS to all three, OAUTHBEARER to Kafka, init-container migrations."""
    overlay = {
        "operator": {"enabled": True, "rabbitmqManagementExistingSecret": "mon"},
        "kafka": {"security": {
            "protocol": "SASL_SSL", "saslMechanism": "OAUTHBEARER", "existingSecret": "k-oidc",
            "oauthbearer": {"tokenEndpointUrl": "https://id.example.com/token", "scope": "kafka"},
            "tls": {"existingSecret": "k-tls", "clientCertificate": True},
        }},
        "rabbitmq": {"scheme": "amqps", "port": 5671,
                     "tls": {"existingSecret": "r-tls", "clientCertificate": True}},
        "mysql": {"tls": {"mode": "VERIFY_CA", "existingSecret": "m-tls",
                          "clientCertificate": True}},
    }  # fmt: skip
    rendered = documents(render_with(overlay, tmp_path))
    seen = check_mounts(rendered, values_with(overlay))
    client = {"CERTFILE", "KEYFILE"}
    api = seen[f"{name('user-service')}/main:user-service"]
    assert _group(api, KAFKA_SASL) == {
        KAFKA_SASL + "OAUTHBEARER_CLIENT_ID_FILE",
        KAFKA_SASL + "OAUTHBEARER_CLIENT_SECRET_FILE",
    }
    assert _group(api, KAFKA_TLS) == {KAFKA_TLS + s for s in ("CAFILE", *client)}
    assert _group(api, RABBITMQ_TLS) == {RABBITMQ_TLS + s for s in ("CAFILE", *client)}
    assert _group(api, MYSQL_TLS) == {MYSQL_TLS + s for s in ("CA", "CERT", "KEY")}
    # The init container migrating the pod's database mounts the database's files only.
    init = seen[f"{name('user-service')}/init:migrate"]
    assert init == {MYSQL_TLS + s for s in ("CA", "CERT", "KEY")}
    deployment = of_kind(rendered, "Deployment")[name("user-service")]
    env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env[KAFKA_SASL + "OAUTHBEARER_TOKEN_ENDPOINT_URL"]["value"] == (
        "https://id.example.com/token"
    )
    assert env[KAFKA_SASL + "OAUTHBEARER_SCOPE"]["value"] == "kafka"
    assert env["EDA_MYSQL__SSL_MODE"]["value"] == "VERIFY_CA"
    secret = of_kind(rendered, "Secret")[name("rabbitmq")]
    assert secret["stringData"]["url"].startswith("amqps://")


def test_a_plaintext_kafka_with_public_ca_tls_sets_only_the_protocol(tmp_path: Path) -> None:
    """SSL without a CA Secret: the system CAs verify the brokers; nothing is mounted."""
    rendered = documents(render_with({"kafka": {"security": {"protocol": "SSL"}}}, tmp_path))
    deployment = of_kind(rendered, "Deployment")[name("orders-order-placed")]
    spec = deployment["spec"]["template"]["spec"]
    env = env_of(spec["containers"][0])
    assert env["EDA_KAFKA__SECURITY_PROTOCOL"]["value"] == "SSL"
    assert [v for v in env if v.startswith(CONNECTION_SETTINGS[1:])] == []
    assert [volume["name"] for volume in spec["volumes"]] == ["tmp"]


def _database_user_secrets(manifests: list[Manifest]) -> dict[str, tuple[str, str]]:
    """container -> (Secret of EDA_MYSQL__USER, Secret of EDA_MYSQL__PASSWORD)."""
    found = {}
    for workload, template in pod_templates(manifests):
        for kind, container in containers(template):
            env = env_of(container)
            if "EDA_MYSQL__USER" in env:
                user, password = (
                    str(env[v]["valueFrom"]["secretKeyRef"]["name"])
                    for v in ("EDA_MYSQL__USER", "EDA_MYSQL__PASSWORD")
                )
                found[f"{workload['metadata']['name']}/{kind}"] = (user, password)
    return found


def test_migrations_log_in_as_the_ddl_user_and_the_rest_as_the_dml_user(
    manifests: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    staging = manifests["values-staging.yaml"]
    databases = values_of("values-staging.yaml")["mysql"]["databases"]
    database_of = {
        w["metadata"]["name"]: t["metadata"]["labels"].get("eda.dev/database")
        for w, t in pod_templates(staging)
    }
    secrets = _database_user_secrets(staging)
    jobs = {c for c in secrets if c.endswith("-migrate/main")}
    assert jobs == {f"{name('user-service-migrate')}/main", f"{name('order-service-migrate')}/main"}
    for container, (user, password) in secrets.items():
        db = databases[database_of[container.split("/")[0]]]
        wanted = db["migrationSecret"] if container in jobs else db["existingSecret"]
        assert user == password == wanted, container
        assert db["migrationSecret"] != db["existingSecret"]
    # With the in-chart MySQL the pods migrate in init containers: those get the DDL user.
    overlay = {"mysql": {"databases": {
        "users": {"existingSecret": "users-dml", "migrationSecret": "users-ddl"},
        "orders": {"existingSecret": "orders-dml", "migrationSecret": "orders-ddl"},
    }}}  # fmt: skip
    rendered = documents(render_with(overlay, tmp_path))
    secrets = _database_user_secrets(rendered)
    inits = [c for c in secrets if c.endswith("/init")]
    assert len(inits) == 8  # two APIs and six subscribers
    for container, (user, _) in secrets.items():
        database = user.split("-")[0]
        assert user == f"{database}-{'ddl' if container in inits else 'dml'}", container
    # migrationSecret "" is the runtime user's Secret.
    same = _database_user_secrets(manifests["values.yaml"])
    assert set(same.values()) == {(name("db-users"),) * 2, (name("db-orders"),) * 2}


def test_extra_env_accepts_value_from_and_reaches_every_application_container(
    tmp_path: Path,
) -> None:
    overlay = {
        "defaults": {
            "env": {"EDA_LOG_LEVEL": "DEBUG"},
            "extraEnv": [
                {"name": "OTEL_EXPORTER_OTLP_HEADERS",
                 "valueFrom": {"secretKeyRef": {"name": "otlp-auth", "key": "headers"}}},
                {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            ],
        },
        "components": {"order-service": {"extraEnv": [{"name": "ONLY_ORDERS", "value": "1"}]}},
        "operator": {"enabled": True},
    }  # fmt: skip
    for base in ("values.yaml", "values-staging.yaml"):  # init containers, then hook Jobs
        rendered = documents(render_with(overlay, tmp_path, base))
        checked = 0
        for workload, template in pod_templates(rendered):
            if template["metadata"]["labels"]["eda.dev/tier"] != "app":
                continue
            for kind, container in containers(template):
                label = f"{base}: {workload['metadata']['name']}/{kind}"
                env = env_of(container)
                assert env["OTEL_EXPORTER_OTLP_HEADERS"]["valueFrom"] == {
                    "secretKeyRef": {"name": "otlp-auth", "key": "headers"}
                }, label
                assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
                assert env["EDA_LOG_LEVEL"]["value"] == "DEBUG", label  # defaults.env too
                orders = workload["metadata"]["name"].startswith(name("order-service"))
                assert ("ONLY_ORDERS" in env) == orders, label
                checked += 1
        assert checked >= 9, base


def test_extra_volumes_and_mounts_render_in_every_application_pod(tmp_path: Path) -> None:
    overlay = {
        "defaults": {
            "extraVolumes": [{"name": "corporate-ca", "configMap": {"name": "corporate-ca"}}],
            "extraVolumeMounts": [
                {"name": "corporate-ca", "mountPath": "/etc/ssl/corporate", "readOnly": True}
            ],
        },
        "subscribers": {"users-order-rejected": {
            "extraVolumes": [{"name": "templates", "configMap": {"name": "mail-templates"}}],
            "extraVolumeMounts": [{"name": "templates", "mountPath": "/etc/mail"}],
        }},
        "operator": {"enabled": True},
    }  # fmt: skip
    for base in ("values.yaml", "values-staging.yaml"):
        rendered = documents(render_with(overlay, tmp_path, base))
        for workload, template in pod_templates(rendered):
            if template["metadata"]["labels"]["eda.dev/tier"] != "app":
                continue
            volumes = {v["name"]: v for v in template["spec"]["volumes"]}
            assert volumes["corporate-ca"]["configMap"] == {"name": "corporate-ca"}
            rejected = workload["metadata"]["name"] == name("users-order-rejected")
            assert ("templates" in volumes) == rejected
            for kind, container in containers(template):
                mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
                assert mounts["corporate-ca"] == "/etc/ssl/corporate", (base, kind)
                assert ("templates" in mounts) == rejected


def test_service_account_annotations_reach_every_service_account(tmp_path: Path) -> None:
    annotations = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/eda"}
    overlay = {"serviceAccount": {"annotations": annotations}}
    rendered = documents(render_with(overlay, tmp_path, "values-staging.yaml"))
    accounts = of_kind(rendered, "ServiceAccount")
    assert set(accounts) == {name("app"), name("operator"), name("migrate")}
    for account in accounts.values():
        assert annotations.items() <= account["metadata"]["annotations"].items()
    hook = accounts[name("migrate")]["metadata"]["annotations"]
    assert hook["helm.sh/hook"] == "pre-install,pre-upgrade"  # still a hook
    # Every pod runs as one of them.
    for _, template in pod_templates(rendered):
        assert template["spec"]["serviceAccountName"] in accounts


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        present = expression["key"] in labels
        value = labels.get(expression["key"])
        if not {
            "In": present and value in expression.get("values", []),
            "NotIn": value not in expression.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[expression["operator"]]:
            return False
    return True


def egress_of(manifests: list[Manifest]) -> dict[str, list[Manifest] | None]:
    """Workload -> the egress rules the policies selecting its pods allow (None: no
    policy limits its egress)."""
    policies = [
        p for p in of_kind(manifests, "NetworkPolicy").values()
        if "Egress" in p["spec"].get("policyTypes", [])
    ]  # fmt: skip
    allowed: dict[str, list[Manifest] | None] = {}
    for workload, template in pod_templates(manifests):
        labels = template["metadata"]["labels"]
        selecting = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        rules = [rule for p in selecting for rule in p["spec"].get("egress", [])]
        allowed[workload["metadata"]["name"]] = rules if selecting else None
    return allowed


def reaches(
    rules: list[Manifest] | None, peer: dict[str, Any], port: int, protocol: str = "TCP"
) -> bool:
    """Whether one of the rules allows the port to the peer: an ipBlock CIDR, or pod
    labels ({"pod": labels, "namespace": namespace labels})."""
    if rules is None:
        return True
    for rule in rules:
        ports = rule.get("ports") or [{"port": port, "protocol": protocol}]
        if not any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports):
            continue
        for to in rule.get("to") or [{}]:
            if not to:  # every destination
                return True
            if "cidr" in peer:
                if to.get("ipBlock", {}).get("cidr") == peer["cidr"]:
                    return True
            elif "ipBlock" not in to:
                pod_ok = _selects(to.get("podSelector", {}), peer["pod"])
                namespace = to.get("namespaceSelector")
                ns_ok = (
                    _selects(namespace, peer["namespace"])
                    if namespace is not None
                    else peer["namespace"] == {"kubernetes.io/metadata.name": "eda"}
                )
                if pod_ok and ns_ok:
                    return True
    return False


DNS = {"pod": {"k8s-app": "kube-dns"}, "namespace": {"kubernetes.io/metadata.name": "kube-system"}}


def test_staging_egress_allows_dns_and_each_configured_destination_to_who_uses_it(
    manifests: dict[str, list[Manifest]],
) -> None:
    rendered = manifests["values-staging.yaml"]
    egress = values_of("values-staging.yaml")["networkPolicy"]["egress"]
    roles = {
        w["metadata"]["name"]: t["metadata"]["labels"]["eda.dev/role"]
        for w, t in pod_templates(rendered)
    }
    users = {  # destination -> the roles that connect to it
        "kafka": {"api", "subscriber", "operator"},
        "rabbitmq": {"api", "subscriber", "operator"},
        "mysql": {"api", "subscriber", "migration"},
        "kubernetesApi": {"operator"},
    }
    for workload, rules in egress_of(rendered).items():
        assert rules is not None, f"{workload}: egress is not limited"
        assert reaches(rules, DNS, 53, "UDP"), workload
        assert reaches(rules, DNS, 53, "TCP"), workload
        for destination, roles_using in users.items():
            for cidr in egress[destination]["cidrs"]:
                for port in egress[destination]["ports"]:
                    allowed = reaches(rules, {"cidr": cidr}, port)
                    assert allowed == (roles[workload] in roles_using), (
                        f"{workload} -> {destination} {cidr}:{port}"
                    )
        # Nothing else: an address outside every configured CIDR stays closed.
        assert not reaches(rules, {"cidr": "0.0.0.0/0"}, 443), workload
        collector = {"pod": {}, "namespace": {"kubernetes.io/metadata.name": "observability"}}
        assert reaches(rules, collector, 4318), workload  # networkPolicy.extraEgress


def test_egress_reaches_the_in_chart_infrastructure_and_the_otlp_cidrs(tmp_path: Path) -> None:
    overlay = {"operator": {"enabled": True}, "networkPolicy": {"egress": {
        "enabled": True, "otlp": {"cidrs": ["10.30.0.0/24"], "ports": [4318]},
    }}}  # fmt: skip
    rendered = documents(render_with(overlay, tmp_path))
    labels = {w["metadata"]["name"]: t["metadata"]["labels"] for w, t in pod_templates(rendered)}
    eda = {"kubernetes.io/metadata.name": "eda"}
    allowed = egress_of(rendered)
    for component, port in (("kafka", 9092), ("rabbitmq", 5672), ("jaeger", 4318)):
        peer = {"pod": labels[name(component)], "namespace": eda}
        assert reaches(allowed[name("user-service")], peer, port), component
        assert reaches(allowed[name("operator")], peer, port), component
    mysql = {"pod": labels[name("mysql")], "namespace": eda}
    assert reaches(allowed[name("users-order-rejected")], mysql, 3306)
    assert not reaches(allowed[name("operator")], mysql, 3306)
    assert reaches(allowed[name("order-service")], {"cidr": "10.30.0.0/24"}, 4318)
    # The in-chart infrastructure's own egress is not limited; the API server is not open
    # without CIDRs for it.
    assert allowed[name("kafka")] is None
    assert name("egress-kubernetes-api") not in of_kind(rendered, "NetworkPolicy")


def test_extra_ingress_rules_with_ip_blocks_admit_to_every_application_pod(
    tmp_path: Path,
) -> None:
    rule = {"from": [{"ipBlock": {"cidr": "10.40.0.0/16", "except": ["10.40.1.0/24"]}}],
            "ports": [{"port": 8080, "protocol": "TCP"}]}  # fmt: skip
    rendered = documents(render_with({"networkPolicy": {"extraIngress": [rule]}}, tmp_path))
    policy = of_kind(rendered, "NetworkPolicy")[name("extra-ingress")]
    assert policy["spec"]["ingress"] == [rule]
    for _, template in pod_templates(rendered):
        selected = _selects(policy["spec"]["podSelector"], template["metadata"]["labels"])
        assert selected == (template["metadata"]["labels"]["eda.dev/tier"] == "app")


KITCHEN_SINK = {
    "serviceAccount": {"annotations": {"iam.gke.io/gcp-service-account": "eda@p.example"}},
    "defaults": {
        "extraEnv": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
        "extraVolumes": [{"name": "extra", "secret": {"secretName": "extra"}}],
        "extraVolumeMounts": [{"name": "extra", "mountPath": "/etc/extra", "readOnly": True}],
    },
    "kafka": {"security": {
        "protocol": "SASL_SSL", "saslMechanism": "OAUTHBEARER", "existingSecret": "k",
        "oauthbearer": {"tokenEndpointUrl": "https://id.example.com/token"},
        "tls": {"existingSecret": "kt", "clientCertificate": True},
    }},
    "rabbitmq": {"tls": {"existingSecret": "rt", "clientCertificate": True}},
    "mysql": {"tls": {"mode": "VERIFY_IDENTITY", "existingSecret": "mt",
                      "clientCertificate": True}},
    "operator": {"rabbitmqManagementExistingSecret": "mon"},
    "networkPolicy": {
        "extraIngress": [{"from": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}],
        "extraEgress": [{"to": [{"ipBlock": {"cidr": "10.2.0.0/16"}}],
                         "ports": [{"port": 443, "protocol": "TCP"}]}],
        "egress": {"otlp": {"cidrs": ["10.3.0.0/24"], "ports": [4318]}},
    },
}  # fmt: skip


def test_every_new_setting_together_passes_strict_kubernetes_validation(tmp_path: Path) -> None:
    rendered = render_with(KITCHEN_SINK, tmp_path, "values-staging.yaml")
    result = kubernetes_validate(rendered)
    assert result.returncode == 0, result.stdout + result.stderr
    assert validation_problems(result) == []
    check_mounts(documents(rendered), values_with(KITCHEN_SINK, "values-staging.yaml"))


SASL = "kafka:\n  security:\n    protocol: SASL_SSL\n"


@pytest.mark.parametrize(
    ("bad_values", "message"),
    [
        ("kafka:\n  security:\n    protocol: SASL_SSH\n", "/kafka/security/protocol"),
        (SASL + "    saslMechanism: GSSAPI\n", "/kafka/security/saslMechanism"),
        (SASL + "    saslMechanism: SCRAM-SHA-512\n",
         "kafka.security.protocol SASL_SSL needs kafka.security.existingSecret"),
        (SASL + "    existingSecret: k\n",
         "kafka.security.protocol SASL_SSL needs kafka.security.saslMechanism"),
        (SASL + "    saslMechanism: OAUTHBEARER\n    existingSecret: k\n",
         "OAUTHBEARER needs kafka.security.oauthbearer.tokenEndpointUrl"),
        ("kafka:\n  security:\n    saslMechanism: PLAIN\n    existingSecret: k\n",
         "but kafka.security.protocol is PLAINTEXT"),
        ("kafka:\n  security:\n    tls:\n      existingSecret: ca\n",
         "kafka.security.protocol PLAINTEXT has no TLS"),
        ("kafka:\n  security:\n    protocol: SSL\n    tls:\n      clientCertificate: true\n",
         "kafka.security.tls.clientCertificate needs kafka.security.tls.existingSecret"),
        ("rabbitmq:\n  tls:\n    existingSecret: ca\n", "set rabbitmq.scheme to amqps"),
        ("rabbitmq:\n  scheme: amqpss\n", "/rabbitmq/scheme"),
        ("mysql:\n  tls:\n    mode: VERIFY_FULL\n", "/mysql/tls/mode"),
        ("mysql:\n  tls:\n    mode: DISABLED\n    existingSecret: ca\n", "mode is DISABLED"),
        ("mysql:\n  databases:\n    users:\n      migrationSecret: ddl\n",
         "mysql.databases.users.migrationSecret needs mysql.databases.users.existingSecret"),
        ("networkPolicy:\n  extraEgress:\n    - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n",
         "networkPolicy.extraEgress needs networkPolicy.egress.enabled"),
        ("networkPolicy:\n  egress:\n    enabled: true\n    kafka:\n      cidrs: [10.0.0.0/8]\n",
         "networkPolicy.egress.kafka.cidrs needs networkPolicy.egress.kafka.ports"),
        ("networkPolicy:\n  egress:\n    mysql:\n      cidrs: [db.example.com]\n",
         "/networkPolicy/egress/mysql/cidrs/0"),
        ("networkPolicy:\n  extraIngress:\n    - from: [{ipBlok: {cidr: 10.0.0.0/8}}]\n",
         "additional properties 'ipBlok'"),
        ("networkPolicy:\n  extraIngress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8},"
         " podSelector: {}}]\n", "/networkPolicy/extraIngress/0/from/0': maxProperties"),
        ("defaults:\n  extraEnv:\n    - name: X\n      valueFrom:\n"
         "        secretKeyRef: {name: s}\n", "missing property 'key'"),
        ("defaults:\n  extraEnv:\n    - name: X\n      valueFrom:\n        secretRef: {name: s}\n",
         "additional properties 'secretRef'"),
        ("defaults:\n  extraVolumes:\n    - name: tmp\n      emptyDir: {}\n",
         "/defaults/extraVolumes/0/name"),
        ("defaults:\n  extraVolumeMounts:\n    - name: nowhere\n      mountPath: /x\n",
         '"nowhere" (at /x) names no volume of extraVolumes'),
        ("serviceAccount:\n  annotations:\n    a: 1\n", "/serviceAccount/annotations/a"),
    ],
)  # fmt: skip
def test_bad_connection_values_are_refused_naming_them(
    bad_values: str, message: str, tmp_path: Path
) -> None:
    result = template_with_bad_values(bad_values, tmp_path)
    assert result.returncode != 0, bad_values
    assert message in result.stderr, result.stderr
