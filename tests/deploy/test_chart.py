"""The chart renders valid, hardened Kubernetes objects for every values file, and its
schema refuses bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.chart import (
    CHART,
    NAMESPACE,
    VALUES_FILES,
    Manifest,
    bad_values_file,
    coalesced,
    documents,
    golden_path,
    golden_text,
    helm,
    kubernetes_validate,
    masked,
    name,
    of_kind,
    pod_templates,
    render,
    validation_problems,
    values_args,
)
from tests.deploy.lifecycle import hooks

CRD = CHART / "crds" / "subscriberscalers.yaml"
SUBSCRIBER_NAMES = (
    "orders-user-registered",
    "orders-user-deactivated",
    "orders-order-placed",
    "users-order-confirmed",
    "users-order-cancelled",
    "users-order-rejected",
)

# One broker principal per workload in staging (workloadCredentials).
BROKER_SECRETS = {
    "eda-user-service-broker",
    "eda-order-service-broker",
    "eda-orders-user-registered-broker",
    "eda-orders-user-deactivated-broker",
    "eda-orders-order-placed-broker",
    "eda-users-order-confirmed-broker",
    "eda-users-order-cancelled-broker",
    "eda-users-order-rejected-broker",
    "eda-operator-broker",
}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_helm_lint_strict_passes(values_file: str) -> None:
    result = helm("lint", "--strict", str(CHART), *values_args(values_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_rendered_objects_pass_strict_kubernetes_validation(
    values_file: str, rendered: dict[str, str]
) -> None:
    result = kubernetes_validate(rendered[values_file])
    assert result.returncode == 0, result.stdout + result.stderr
    assert validation_problems(result) == []


def test_kubernetes_validate_catches_an_unknown_field(rendered: dict[str, str]) -> None:
    """The validation above would notice a template typo (proves --strict bites)."""
    broken = rendered["values.yaml"].replace("revisionHistoryLimit:", "revisionHistoryLimt:", 1)
    result = kubernetes_validate(broken)
    assert result.returncode != 0
    assert "revisionHistoryLimt" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("bad_values", "message"),
    [
        ("components:\n  user-service:\n    port: eight\n", "got string, want integer"),
        ("defaults:\n  replicas: 'two'\n", "got string, want integer"),
        ("subscribers:\n  orders-order-placed:\n    broker: kafkaa\n", "broker"),
        ("routing:\n  defaultBroker: nats\n", "defaultBroker"),
        ("components:\n  user-service:\n    colour: red\n", "additional properties 'colour'"),
        ("kafka:\n  bootstrapServer: x:9092\n", "additional properties 'bootstrapServer'"),
        ("auth:\n  algorithms: [none]\n", "algorithms"),
        ("auth:\n  enabled: true\n", "/auth/issuer"),
        ("subscribers:\n  Orders_Bad:\n    eventType: a.b\n    subscriberName: x.y\n"
         "    database: users\n", "Orders_Bad"),
    ],
)  # fmt: skip
def test_schema_rejects_wrong_types_and_unknown_keys(
    bad_values: str, message: str, tmp_path: Path
) -> None:
    values = bad_values_file(bad_values, tmp_path)
    for command in (["template", "eda", str(CHART)], ["lint", "--strict", str(CHART)]):
        result = helm(*command, "--values", str(values))
        assert result.returncode != 0, command
        assert message in result.stdout + result.stderr, result.stdout + result.stderr


def test_schema_is_draft_2020_12_without_remote_refs() -> None:
    text = (CHART / "values.schema.json").read_text()
    schema = yaml.safe_load(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert '"$ref": "http' not in text
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    for values_file in VALUES_FILES:
        values = coalesced(defaults, yaml.safe_load((CHART / values_file).read_text()))
        jsonschema.Draft202012Validator(schema).validate(values)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_golden_examples_match_the_chart(values_file: str) -> None:
    expected = golden_path(values_file)
    assert expected.exists(), "run `make golden`"
    assert golden_text(values_file) == expected.read_text(), (
        f"{expected} is stale: review the difference, then run `make golden`"
    )


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_one_deployment_per_subscriber_running_its_event_type(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    deployments = of_kind(manifests[values_file], "Deployment")
    for subscriber in SUBSCRIBER_NAMES:
        deployment = deployments[name(subscriber)]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        event_type = deployment["metadata"]["annotations"]["eda.dev/event-type"]
        assert container["command"] == ["subscriber"]
        assert container["args"] == [event_type, "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 63


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_is_hardened(values_file: str, manifests: dict[str, list[Manifest]]) -> None:
    for workload, template in pod_templates(manifests[values_file]):
        spec = template["spec"]
        label = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, label
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, label
        assert spec["enableServiceLinks"] is False, label
        expects_token = workload["metadata"]["name"] == name("operator")
        assert spec["automountServiceAccountToken"] is expects_token, label
        mounts = {
            volume["name"]: volume for volume in spec.get("volumes", []) if "emptyDir" in volume
        }
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, label
            assert security["allowPrivilegeEscalation"] is False, label
            assert security["capabilities"] == {"drop": ["ALL"]}, label
            assert security["runAsNonRoot"] is True, label
            assert {"requests", "limits"} <= container["resources"].keys(), label
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108
            assert tmp, label
            assert tmp[0]["name"] in mounts, label
            if workload["kind"] != "Job":
                assert "livenessProbe" in container, label
                assert "readinessProbe" in container, label


def test_live_update_render_only_opens_the_root_filesystem() -> None:
    """The Tiltfile's liveUpdate.enabled=true: writable root filesystem, nothing else changes."""
    plain = documents(render("values-local.yaml"))
    live = documents(render("values-local.yaml", "--set", "liveUpdate.enabled=true"))
    opened = {
        f"{w['kind']}/{w['metadata']['name']}"
        for w, t in pod_templates(live)
        if not t["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    }
    app = {
        f"{w['kind']}/{w['metadata']['name']}"
        for w, t in pod_templates(plain)
        if t["metadata"]["labels"]["eda.dev/tier"] == "app"
    }
    assert opened == app
    for document in (plain, live):
        for _, template in pod_templates(document):
            for container in template["spec"]["containers"]:
                container["securityContext"].pop("readOnlyRootFilesystem")
    assert masked(plain) == masked(live)  # generated passwords differ between renders


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_standard_labels_and_selectors_that_never_change(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    for manifest in manifests[values_file]:
        labels = manifest["metadata"]["labels"]
        for key in ("name", "instance", "version", "managed-by", "part-of"):
            assert f"app.kubernetes.io/{key}" in labels, manifest["metadata"]["name"]
        if manifest["kind"] in {"Deployment", "StatefulSet"}:
            selector = manifest["spec"]["selector"]["matchLabels"]
            assert set(selector) == {
                "app.kubernetes.io/name",
                "app.kubernetes.io/instance",
                "app.kubernetes.io/component",
            }
            assert selector.items() <= manifest["spec"]["template"]["metadata"]["labels"].items()
        if manifest["kind"] not in {"ClusterRole", "ClusterRoleBinding"}:
            assert manifest["metadata"]["namespace"] == NAMESPACE


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        if (
            expression["operator"] == "In"
            and labels.get(expression["key"]) not in expression["values"]
        ):
            return False
    return True


def _allowed_sources(policies: dict[str, Manifest], labels: dict[str, str]) -> list[Any]:
    sources = []
    for policy in policies.values():
        if _selects(policy["spec"]["podSelector"], labels):
            for rule in policy["spec"].get("ingress", []):
                sources.extend(rule["from"])
    return sources


def test_network_policies_cover_every_pod_and_open_only_what_is_needed(
    manifests: dict[str, list[Manifest]],
) -> None:
    local = manifests["values.yaml"]
    policies = of_kind(local, "NetworkPolicy")
    pods = {w["metadata"]["name"]: t["metadata"]["labels"] for w, t in pod_templates(local)}
    for workload, labels in pods.items():
        assert _selects(policies[name("default-deny")]["spec"]["podSelector"], labels), workload
    ingress_namespace = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }
    assert ingress_namespace in _allowed_sources(policies, pods[name("user-service")])
    assert ingress_namespace not in _allowed_sources(policies, pods[name("orders-order-placed")])
    (mysql_from,) = _allowed_sources(policies, pods[name("mysql")])
    owners = {w for w, labels in pods.items() if _selects(mysql_from["podSelector"], labels)}
    assert owners == {name(w) for w in ("user-service", "order-service", *SUBSCRIBER_NAMES)}
    (kafka_from,) = _allowed_sources(policies, pods[name("kafka")])
    clients = {w for w, labels in pods.items() if _selects(kafka_from["podSelector"], labels)}
    assert name("mysql") not in clients
    assert name("jaeger") not in clients
    assert name("orders-order-placed") in clients


def test_migrations_run_as_hooks_before_pods_when_the_database_is_external(
    manifests: dict[str, list[Manifest]],
) -> None:
    staging = manifests["values-staging.yaml"]
    jobs = of_kind(staging, "Job")
    assert set(jobs) == {name("user-service-migrate"), name("order-service-migrate")}
    (account,) = (m for m in staging if m["kind"] == "ServiceAccount" and hooks(m))
    assert account["metadata"]["name"] == name("migrate")
    for job in jobs.values():
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        pod = job["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == name("migrate")
        (container,) = pod["containers"]
        assert container["args"] == ["migrate"]
        assert "envFrom" not in container  # the ConfigMap is not there before install
        assert "initContainers" not in pod
    for workload, template in pod_templates(staging):
        assert "initContainers" not in template["spec"], workload["metadata"]["name"]


@pytest.mark.parametrize("values_file", ["values.yaml", "values-local.yaml"])
def test_with_the_in_chart_database_every_pod_on_a_database_migrates_it_first(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    rendered = manifests[values_file]
    assert of_kind(rendered, "Job") == {}
    commands = {"users": "user-service", "orders": "order-service"}
    on_a_database = 0
    for _, template in pod_templates(rendered):
        database = template["metadata"]["labels"].get("eda.dev/database")
        if database is None:
            assert "initContainers" not in template["spec"]
            continue
        on_a_database += 1
        (init,) = template["spec"]["initContainers"]
        (main,) = template["spec"]["containers"]
        assert (init["command"], init["args"]) == ([commands[database]], ["migrate"])
        # The owning service's image, in subscriber pods too (see the Tiltfile's tests).
        assert init["image"].rsplit(":", 1)[0] == f"eda/{commands[database]}"
        assert init["imagePullPolicy"] == main["imagePullPolicy"]
        env = {e["name"]: e for e in init["env"]}
        assert env["EDA_MYSQL__DATABASE"]["value"] == database
        assert env["EDA_MYSQL__SERVER_WAIT_S"]["value"] == "300"
        assert init["securityContext"]["readOnlyRootFilesystem"] is True
    assert on_a_database == 2 + len(SUBSCRIBER_NAMES)


def test_staging_uses_existing_secrets_and_no_in_chart_infrastructure(
    manifests: dict[str, list[Manifest]],
) -> None:
    staging = manifests["values-staging.yaml"]
    assert of_kind(staging, "Secret") == {}
    assert of_kind(staging, "StatefulSet") == {}
    referenced = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for _, template in pod_templates(staging)
        for container in template["spec"]["containers"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    assert referenced == {
        *BROKER_SECRETS,
        "eda-users-db-credentials",
        "eda-orders-db-credentials",
        "eda-users-db-migration",
        "eda-orders-db-migration",
    }
    mounted = {
        volume["secret"]["secretName"]
        for _, template in pod_templates(staging)
        for volume in template["spec"].get("volumes", [])
        if "secret" in volume
    }
    assert mounted == {
        *BROKER_SECRETS,
        "eda-kafka-ca",
        "eda-rabbitmq-ca",
        "eda-rabbitmq-monitoring",
        "eda-mysql-ca",
    }
    assert set(of_kind(staging, "HorizontalPodAutoscaler")) == {
        name("user-service"),
        name("order-service"),
    }
    for deployment in of_kind(staging, "Deployment").values():
        if deployment["metadata"]["labels"].get("eda.dev/role") in {"api", "subscriber"}:
            assert "replicas" not in deployment["spec"]  # the autoscaler owns it


SCALER_CONTRACT: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "eda.dev/v1"},
        "kind": {"const": "SubscriberScaler"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "deployment", "minReplicas", "maxReplicas", "targetBacklogPerReplica",
                "activationBacklog", "scaleUpStabilizationSeconds",
                "scaleDownStabilizationSeconds", "source",
            ],
            "properties": {
                "deployment": {"type": "string"},
                "minReplicas": {"type": "integer"},
                "maxReplicas": {"type": "integer"},
                "targetBacklogPerReplica": {"type": "integer"},
                "activationBacklog": {"type": "integer"},
                "scaleUpStabilizationSeconds": {"type": "integer"},
                "scaleDownStabilizationSeconds": {"type": "integer"},
                "source": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["broker", "kafka", "rabbitmq"],
                    "properties": {
                        "broker": {"enum": ["kafka", "rabbitmq"]},
                        "kafka": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["topic", "consumerGroup", "partitions"],
                            "properties": {
                                "topic": {"type": "string"},
                                "consumerGroup": {"type": "string"},
                                "partitions": {"type": "integer"},
                            },
                        },
                        "rabbitmq": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["queue"],
                            "properties": {"queue": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}  # fmt: skip


@pytest.mark.parametrize("values_file", ["values-local.yaml", "values-staging.yaml"])
def test_one_subscriber_scaler_per_subscriber_with_the_agreed_contract(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    rendered = manifests[values_file]
    scalers = of_kind(rendered, "SubscriberScaler")
    deployments = of_kind(rendered, "Deployment")
    assert set(scalers) == {name(s) for s in SUBSCRIBER_NAMES}
    crd_schema = None
    if CRD.exists():  # written beside this chart by the operator's work
        crd = yaml.safe_load(CRD.read_text())
        (version,) = crd["spec"]["versions"]
        crd_schema = version["schema"]["openAPIV3Schema"]
    for scaler_name, scaler in scalers.items():
        jsonschema.validate(scaler, SCALER_CONTRACT)
        if crd_schema is not None:
            jsonschema.Draft7Validator(crd_schema).validate(scaler)
        spec = scaler["spec"]
        deployment = deployments[spec["deployment"]]
        assert scaler_name == spec["deployment"]
        annotations = deployment["metadata"]["annotations"]
        assert spec["source"]["kafka"]["topic"] == annotations["eda.dev/event-type"]
        assert spec["source"]["kafka"]["consumerGroup"] == annotations["eda.dev/subscriber"]
        assert spec["source"]["rabbitmq"]["queue"] == annotations["eda.dev/subscriber"]
        assert spec["maxReplicas"] <= spec["source"]["kafka"]["partitions"]
        assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 6)
        assert spec["targetBacklogPerReplica"] == 500
        assert spec["scaleDownStabilizationSeconds"] == 120
    placed = scalers[name("orders-order-placed")]["spec"]["source"]["broker"]
    assert placed == ("rabbitmq" if values_file == "values-local.yaml" else "kafka")


def test_operator_may_only_touch_its_resources_deployments_and_events(
    manifests: dict[str, list[Manifest]],
) -> None:
    local = manifests["values-local.yaml"]
    assert of_kind(local, "ClusterRole") == {}
    (role,) = of_kind(local, "Role").values()
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == {
        *(("eda.dev", "subscriberscalers", v) for v in ("get", "list", "watch", "patch")),
        ("eda.dev", "subscriberscalers/status", "get"),
        ("eda.dev", "subscriberscalers/status", "patch"),
        ("apps", "deployments", "get"),
        ("apps", "deployments/scale", "patch"),
        ("", "events", "create"),
        ("events.k8s.io", "events", "create"),
    }
    (binding,) = of_kind(local, "RoleBinding").values()
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": name("operator"), "namespace": NAMESPACE}
    ]
    operator = of_kind(local, "Deployment")[name("operator")]["spec"]["template"]["spec"]
    assert operator["serviceAccountName"] == name("operator")
    (container,) = operator["containers"]
    assert container["command"] == ["eda-operator"]
    assert container["image"].startswith("eda/operator:")


@pytest.mark.parametrize("values_file", ["values-local.yaml", "values-staging.yaml"])
def test_operator_reads_and_scales_only_the_autoscaled_subscribers_by_name(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    rendered = manifests[values_file]
    (role,) = of_kind(rendered, "Role").values()
    apps = [rule for rule in role["rules"] if "apps" in rule["apiGroups"]]
    scaled = sorted(s["spec"]["deployment"] for s in of_kind(rendered, "SubscriberScaler").values())
    deployments = of_kind(rendered, "Deployment")
    assert scaled
    for deployment in scaled:
        assert deployments[deployment]["metadata"]["labels"]["eda.dev/role"] == "subscriber"
    # Read the Deployment (labels, replicas); set replicas only through /scale, by name.
    assert sorted(
        (tuple(rule["resources"]), tuple(rule["verbs"]), tuple(rule["resourceNames"]))
        for rule in apps
    ) == [
        (("deployments",), ("get",), tuple(scaled)),
        (("deployments/scale",), ("patch",), tuple(scaled)),
    ]


def test_without_autoscaled_subscribers_the_operator_gets_no_deployment_rule() -> None:
    # An empty resourceNames would grant every Deployment of the namespace.
    result = render("values.yaml", "--set", "operator.enabled=true")
    (role,) = of_kind(documents(result), "Role").values()
    assert [rule for rule in role["rules"] if "apps" in rule["apiGroups"]] == []


def test_the_crd_refuses_a_rendered_scaler_above_its_replica_bound(
    manifests: dict[str, list[Manifest]],
) -> None:
    (version,) = yaml.safe_load(CRD.read_text())["spec"]["versions"]
    validator = jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])
    scaler = next(iter(of_kind(manifests["values-local.yaml"], "SubscriberScaler").values()))
    assert validator.is_valid(scaler)
    for field in ("maxReplicas", "minReplicas"):
        too_many = {**scaler, "spec": {**scaler["spec"], field: 51}}
        assert [error.message for error in validator.iter_errors(too_many)] == [
            "51 is greater than the maximum of 50"
        ]


def test_an_autoscaled_kafka_subscriber_may_not_outgrow_its_partitions() -> None:
    result = helm(
        "template", "eda", str(CHART), "--values", str(CHART / "values-staging.yaml"),
        "--set", "subscribers.users-order-rejected.autoscaling.maxReplicas=12",
    )  # fmt: skip
    assert result.returncode != 0
    assert "exceeds kafka.partitions" in result.stderr


def test_notes_say_how_to_reach_the_apis_and_jaeger() -> None:
    result = helm(
        "install", "eda", str(CHART), "--dry-run=client", "--namespace", NAMESPACE,
        "--values", str(CHART / "values-local.yaml"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    for forward in (
        "port-forward service/eda-user-service 8001:8001",
        "port-forward service/eda-order-service 8002:8002",
        "port-forward service/eda-jaeger 16686:16686",
        "port-forward service/eda-rabbitmq 15672:15672",
    ):
        assert f"kubectl --namespace {NAMESPACE} {forward}" in notes


def test_staging_turns_api_authorization_on_and_only_for_the_apis(
    manifests: dict[str, list[Manifest]],
) -> None:
    for values, expected in (("values-staging.yaml", "true"), ("values.yaml", None)):
        for workload, template in pod_templates(manifests[values]):
            role = template["metadata"]["labels"].get("eda.dev/role")
            for container in template["spec"]["containers"]:
                env = {variable["name"]: variable for variable in container.get("env", [])}
                enabled = env.get("EDA_AUTH__ENABLED", {}).get("value")
                wanted = expected if role == "api" else None
                assert enabled == wanted, (values, workload["metadata"]["name"])


def _bytes(quantity: str) -> int:
    units = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return int(quantity.removesuffix(unit)) * factor
    return int(quantity)


def test_persistent_infrastructure_keeps_its_data_below_the_volume_root() -> None:
    """A block volume's root holds lost+found: Kafka's log loader and MySQL's
    initialisation refuse it, and a recursive group change on every start makes
    RabbitMQ's .erlang.cookie group-readable, which Erlang refuses."""
    rendered = documents(
        render(
            "values-local.yaml",
            *("--set", "infrastructure.kafka.persistence.enabled=true"),
            *("--set", "infrastructure.mysql.persistence.enabled=true"),
            *("--set", "infrastructure.rabbitmq.persistence.enabled=true"),
        )
    )
    sets = of_kind(rendered, "StatefulSet")
    data_dirs = {}
    for workload in ("kafka", "mysql", "rabbitmq"):
        statefulset = sets[name(workload)]
        (claim,) = statefulset["spec"]["volumeClaimTemplates"]
        pod = statefulset["spec"]["template"]["spec"]
        assert pod["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
        (container,) = pod["containers"]
        (mount,) = (m for m in container["volumeMounts"] if m["name"] == claim["metadata"]["name"])
        data_dirs[workload] = (mount["mountPath"], container)
    kafka_root, kafka = data_dirs["kafka"]
    log_dirs = {e["name"]: e.get("value") for e in kafka["env"]}["KAFKA_LOG_DIRS"]
    assert log_dirs.startswith(kafka_root.rstrip("/") + "/")
    mysql_root, mysql = data_dirs["mysql"]
    (datadir,) = (a.split("=", 1)[1] for a in mysql["args"] if a.startswith("--datadir="))
    assert datadir.startswith(mysql_root.rstrip("/") + "/")


def test_rabbitmq_raises_its_memory_alarm_below_its_container_limit(
    manifests: dict[str, list[Manifest]],
) -> None:
    for values_file in ("values.yaml", "values-local.yaml"):
        rendered = manifests[values_file]
        conf = of_kind(rendered, "ConfigMap")[name("rabbitmq-config")]["data"]["10-memory.conf"]
        (setting,) = conf.split("\n")[:1]
        key, value = (part.strip() for part in setting.split("="))
        assert key == "vm_memory_high_watermark.absolute"
        (container,) = of_kind(rendered, "StatefulSet")[name("rabbitmq")]["spec"]["template"][
            "spec"
        ]["containers"]
        mounted = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/etc/rabbitmq/conf.d/10-memory.conf" in mounted
        limit = _bytes(container["resources"]["limits"]["memory"])
        assert _bytes(value) <= 0.7 * limit, values_file


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_application_deployment_has_a_startup_probe_before_liveness(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    """On a crowded one-node cluster a subscriber may take a minute to reach Kafka;
    liveness must not kill it meanwhile."""
    for workload in of_kind(manifests[values_file], "Deployment").values():
        if workload["metadata"]["labels"].get("eda.dev/role") not in {"api", "subscriber"}:
            continue
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        startup = container["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
        assert startup["httpGet"] == container["livenessProbe"]["httpGet"]


def test_staging_images_name_the_registry_once_and_the_tag_they_are_given() -> None:
    rendered = documents(render("values-staging.yaml", "--set", "defaults.image.tag=3f2a9c1d0b7e"))
    images = {
        container["image"]
        for _, template in pod_templates(rendered)
        for container in template["spec"]["containers"]
    }
    assert images == {
        f"registry.example.com/eda/{image}:3f2a9c1d0b7e"
        for image in ("user-service", "order-service", "subscriber", "operator")
    }


def test_the_optional_ingress_routes_each_api_prefix_to_its_service() -> None:
    assert of_kind(documents(render("values.yaml")), "Ingress") == {}
    rendered = documents(
        # Staging: the chart renders no Ingress in front of APIs without auth.
        render(
            "values-staging.yaml",
            "--set",
            "ingress.enabled=true",
            "--set",
            "ingress.className=nginx",
        )
    )
    ingress = of_kind(rendered, "Ingress")[name("api")]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert routes == {"/users": name("user-service"), "/orders": name("order-service")}
    services = of_kind(rendered, "Service")
    for path in rule["http"]["paths"]:
        ports = services[path["backend"]["service"]["name"]]["spec"]["ports"]
        assert path["backend"]["service"]["port"]["name"] in {p["name"] for p in ports}


def notes_of(*extra: str) -> str:
    result = helm(
        "install", "eda", str(CHART), "--dry-run=client", "--namespace", NAMESPACE, *extra
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.split("NOTES:", 1)[1]


def test_notes_warn_when_the_pools_at_maximum_replicas_exceed_max_connections() -> None:
    staging = ("--values", str(CHART / "values-staging.yaml"))
    # Staging at maximum replicas: 2 APIs x 6 x (10 + 3) + 6 subscribers x 6 x 10.
    warned = notes_of(*staging)
    assert "WARNING: at their maximum replicas the workloads may hold 516 MySQL" in warned
    assert "more than mysql.maxConnections (151)" in warned
    assert "user-service: 6 replicas x (pool 10 + relay 3) = 78" in warned
    assert "orders-order-placed: 6 replicas x pool 10 = 60" in warned
    assert "WARNING" not in notes_of(*staging, "--set", "mysql.maxConnections=516")
    assert "WARNING" in notes_of(*staging, "--set", "mysql.maxConnections=515")
    # Smaller subscriber pools fit: 156 + 36 x 4 = 300.
    smaller = notes_of(
        *staging, "--set", "defaults.subscriber.databasePool.maxSize=4",
        "--set", "mysql.maxConnections=300",
    )  # fmt: skip
    assert "WARNING" not in smaller
    # The chart's defaults (2 x 2 x 13 + 6 x 1 x 10 = 112) fit MySQL's default 151.
    assert "WARNING" not in notes_of()
    assert "may hold 112 MySQL" in notes_of("--set", "mysql.maxConnections=111")


def test_pool_sizes_reach_each_workloads_environment() -> None:
    pools = (
        "components.user-service.databasePool.maxSize=7",
        "defaults.subscriber.databasePool.minSize=0",
        "defaults.subscriber.databasePool.maxSize=3",
        "subscribers.users-order-rejected.databasePool.maxSize=2",
    )
    rendered = documents(render("values.yaml", *(f"--set={pool}" for pool in pools)))
    sizes = {}
    for workload, template in pod_templates(rendered):
        if template["metadata"]["labels"].get("eda.dev/role") not in ("api", "subscriber"):
            continue
        (container,) = template["spec"]["containers"]
        env = {variable["name"]: variable.get("value") for variable in container["env"]}
        sizes[workload["metadata"]["name"]] = (
            env["EDA_MYSQL__POOL_MIN_SIZE"],
            env["EDA_MYSQL__POOL_MAX_SIZE"],
        )
    assert sizes[name("user-service")] == ("1", "7")
    assert sizes[name("order-service")] == ("1", "10")
    assert sizes[name("orders-order-placed")] == ("0", "3")
    assert sizes[name("users-order-rejected")] == ("0", "2")


def test_a_pool_whose_minimum_is_above_its_maximum_is_refused() -> None:
    result = helm(
        "template", "eda", str(CHART),
        "--set", "components.user-service.databasePool.minSize=11",
    )  # fmt: skip
    assert result.returncode != 0
    assert "databasePool.minSize (11) is above databasePool.maxSize (10)" in result.stderr


def test_unknown_database_pool_keys_are_refused() -> None:
    result = helm("template", "eda", str(CHART), "--set", "defaults.databasePool.size=3")
    assert result.returncode != 0
    assert "size" in result.stderr


def test_each_workload_reaches_the_brokers_as_its_own_principal(
    manifests: dict[str, list[Manifest]],
) -> None:
    """Staging: every container that talks to a broker reads its RabbitMQ URL and its
    Kafka SASL user from its own Secret; migrations get no broker credential at all."""
    staging = manifests["values-staging.yaml"]
    seen: dict[str, set[str]] = {}
    for workload, template in pod_templates(staging):
        for container in (
            template["spec"].get("initContainers", []) + template["spec"]["containers"]
        ):
            urls = {
                env["valueFrom"]["secretKeyRef"]["name"]
                for env in container.get("env", [])
                if env["name"] == "EDA_RABBITMQ__URL"
            }
            sasl = {
                volume["secret"]["secretName"]
                for volume in template["spec"].get("volumes", [])
                if volume["name"] == "kafka-sasl"
            }
            if container["name"] == "migrate" or workload["kind"] == "Job":
                assert urls == set(), (workload["metadata"]["name"], container["name"])
                continue
            seen[workload["metadata"]["name"]] = urls | sasl
    expected = {
        name("user-service"): {"eda-user-service-broker"},
        name("order-service"): {"eda-order-service-broker"},
        name("operator"): {"eda-operator-broker"},
        **{name(sub): {f"eda-{sub}-broker"} for sub in SUBSCRIBER_NAMES},
    }
    assert seen == expected


@pytest.mark.parametrize(
    ("values_file", "settings", "message"),
    [
        (
            "values-local.yaml",
            ["--set", "workloadCredentials.required=true",
             "--set", "workloadCredentials.secrets.user-service=eda-user-service-broker"],
            "workloadCredentials.secrets.operator is required when"
            " workloadCredentials.required is true",
        ),
        (
            "values-staging.yaml",
            ["--set", "workloadCredentials.secrets.billing=eda-billing-broker"],
            "workloadCredentials.secrets.billing names no workload of this release; known: ",
        ),
    ],
)  # fmt: skip
def test_workload_credentials_refuse_a_gap_or_an_unknown_workload(
    values_file: str, settings: list[str], message: str
) -> None:
    result = helm("template", "eda", str(CHART), "--values", str(CHART / values_file), *settings)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
