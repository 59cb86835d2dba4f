"""Runs the Tiltfile with recording stand-ins for Tilt's builtins (starlark-pyo3).

Each stand-in binds its arguments the way Tilt's documented signature does
(https://docs.tilt.dev/api.html): a misspelt or unknown keyword, a missing
required argument or one positional too many fails the run, as it would in Tilt.
helm() renders the chart for real (with the helm `make tools` installs), and what
k8s_resource() names must be in what was given to k8s_yaml(), as Tilt requires.

A Blob stands in as {"blob": text} where it is only passed on (helm, blob), and as
the text itself where the Tiltfile reads it with str() (local, read_file):
starlark-pyo3 carries only JSON values, so a value both cannot be."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import starlark as sl
import yaml

from tests.deploy.chart import REPO, Manifest, documents, helm

# The one command the Tiltfile runs at load (deploy/tools/local-credentials.sh).
CREDENTIALS_SCRIPT = "deploy/tools/local-credentials.sh"
# Kinds Tilt assembles a resource for, by the workload's name.
WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
)


@dataclass(frozen=True)
class Signature:
    parameters: tuple[str, ...]
    required: int = 0
    extra_keywords: bool = False  # **kwargs


# Tilt's API reference, for the builtins the Tiltfile uses (and a few neighbours).
DOCKER_BUILD_PARAMETERS = (
    "ref", "context", "build_args", "dockerfile", "dockerfile_contents", "live_update",
    "match_in_env_vars", "ignore", "only", "entrypoint", "target", "ssh", "network", "secret",
    "extra_tag", "container_args", "cache_from", "pull", "platform", "extra_hosts",
)  # fmt: skip
SIGNATURES: dict[str, Signature] = {
    "docker_build": Signature(DOCKER_BUILD_PARAMETERS, required=2),
    "k8s_yaml": Signature(("yaml", "allow_duplicates"), required=1),
    "decode_yaml_stream": Signature(("yaml",), required=1),
    "local": Signature(
        ("command", "quiet", "command_bat", "echo_off", "env", "dir", "stdin"), required=1
    ),
    "read_file": Signature(("file_path", "default"), required=1),
    "helm": Signature(
        ("pathToChartDir", "name", "namespace", "values", "set", "kube_version", "skip_crds"),
        required=1,
    ),
    "k8s_resource": Signature(
        (
            "workload",
            "new_name",
            "port_forwards",
            "extra_pod_selectors",
            "trigger_mode",
            "resource_deps",
            "objects",
            "auto_init",
            "pod_readiness",
            "links",
            "labels",
            "discovery_strategy",
        ),
    ),
    "local_resource": Signature(
        (
            "name",
            "cmd",
            "deps",
            "trigger_mode",
            "resource_deps",
            "ignore",
            "auto_init",
            "serve_cmd",
            "cmd_bat",
            "serve_cmd_bat",
            "allow_parallel",
            "links",
            "labels",
            "env",
            "serve_env",
            "readiness_probe",
            "dir",
            "serve_dir",
        ),
        required=2,
    ),
    "port_forward": Signature(
        ("local_port", "container_port", "name", "link_path", "host"), required=1
    ),
    "link": Signature(("url", "name"), required=1),
    "sync": Signature(("local_path", "remote_path"), required=2),
    "run": Signature(("cmd", "trigger", "echo_off"), required=1),
    "fall_back_on": Signature(("files",), required=1),
    "read_json": Signature(("path", "default"), required=1),
    "read_yaml": Signature(("path", "default"), required=1),
    "blob": Signature(("contents",), required=1),
    "watch_file": Signature(("file_path",), required=1),
    "watch_settings": Signature(("ignore",), required=1),
    "allow_k8s_contexts": Signature(("contexts",), required=1),
    "k8s_context": Signature(()),
    "update_settings": Signature(
        (
            "max_parallel_updates",
            "k8s_upsert_timeout_secs",
            "suppress_unused_image_warnings",
            "k8s_server_side_apply",
        ),
    ),
    "fail": Signature(("msg",), required=1),
    "warn": Signature(("msg",), required=1),
}
# tilt-extensions restart_process: docker_build_with_restart(ref, context, entrypoint,
# live_update, base_suffix='-base', restart_file='/.restart-proc', **kwargs), where
# kwargs go on to docker_build.
RESTART_PROCESS = Signature(
    ("ref", "context", "entrypoint", "live_update", "base_suffix", "restart_file"),
    required=4,
    extra_keywords=True,
)


class TiltfileError(Exception):
    pass


def bind(
    name: str, signature: Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    if len(args) > len(signature.parameters):
        raise TypeError(
            f"{name}: {len(args)} positional arguments, at most {len(signature.parameters)}"
        )
    bound = dict(zip(signature.parameters, args, strict=False))
    for key, value in kwargs.items():
        if key in bound:
            raise TypeError(f"{name}: {key!r} given twice")
        if key not in signature.parameters and not signature.extra_keywords:
            raise TypeError(f"{name}: unexpected keyword argument {key!r}")
        bound[key] = value
    missing = [p for p in signature.parameters[: signature.required] if p not in bound]
    if missing:
        raise TypeError(f"{name}: missing {', '.join(missing)}")
    return bound


@dataclass
class Run:
    """What one execution of the Tiltfile asked Tilt for."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    """Every object given to k8s_yaml(), in order."""

    def of(self, name: str) -> list[dict[str, Any]]:
        return [arguments for called, arguments in self.calls if called == name]

    def images(self) -> dict[str, dict[str, Any]]:
        built = {}
        for arguments in self.of("docker_build") + self.of("docker_build_with_restart"):
            built[arguments["ref"]] = arguments
        return built

    def resources(self) -> dict[str, dict[str, Any]]:
        named = {r.get("new_name") or r["workload"]: r for r in self.of("k8s_resource")}
        named.update({r["name"]: r for r in self.of("local_resource")})
        return named

    def workloads(self) -> set[str]:
        return {m["metadata"]["name"] for m in self.manifests if m["kind"] in WORKLOAD_KINDS}


def _text(value: Any) -> str:
    """A YAML argument's content: a Blob, or the path of a file (relative to the Tiltfile)."""
    if isinstance(value, dict):
        return str(value["blob"])
    return (REPO / str(value)).read_text()


def _yaml_arguments(value: Any) -> list[str]:
    return [_text(item) for item in (value if isinstance(value, list) else [value])]


def _helm_template(bound: dict[str, Any]) -> str:
    """`helm template` as Tilt's helm() runs it: CRDs included unless skip_crds."""
    arguments = ["template", bound.get("name") or "release", str(REPO / bound["pathToChartDir"])]
    if bound.get("namespace"):
        arguments += ["--namespace", bound["namespace"]]
    if not bound.get("skip_crds"):
        arguments.append("--include-crds")
    if bound.get("kube_version"):
        arguments += ["--kube-version", bound["kube_version"]]
    values, sets = bound.get("values", []), bound.get("set", [])
    for path in [values] if isinstance(values, str) else values:
        arguments += ["--values", str(REPO / path)]
    for pair in [sets] if isinstance(sets, str) else sets:
        arguments += ["--set", pair]
    result = helm(*arguments)
    if result.returncode != 0:
        raise TiltfileError(f"helm(): {result.stderr}")
    return result.stdout


def _credentials(bound: dict[str, Any], sandbox: Path) -> str:
    """local(): only the credentials script, and the real one, run from a copy in
    ``sandbox``: it writes beside itself, so never into the repository's deploy/kind/."""
    if bound["command"] != CREDENTIALS_SCRIPT:
        raise TiltfileError(f"local({bound['command']!r}): not a command the Tiltfile runs")
    script = sandbox / CREDENTIALS_SCRIPT
    script.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / CREDENTIALS_SCRIPT, script)
    result = subprocess.run([str(script)], cwd=sandbox, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TiltfileError(f"local({bound['command']!r}): {result.stderr}")
    return result.stdout


def _selected(selector: str, manifests: list[Manifest]) -> list[Manifest]:
    """Tilt's object selector name[:kind[:namespace]]: each part matches whole and
    case-insensitively, an object without a namespace is in "default"
    (internal/k8s/object_selector.go)."""
    name, kind, namespace = [*selector.lower().split(":"), None, None][:3]
    return [
        m
        for m in manifests
        if m["metadata"]["name"].lower() == name
        and (kind is None or m["kind"].lower() == kind)
        and (
            namespace is None or (m["metadata"].get("namespace") or "default").lower() == namespace
        )
    ]


def check_resources(run: Run) -> None:
    """What Tilt refuses once the Tiltfile ran: a workload or an object that is not in
    the YAML it was given, an object selector matching none or several, an object in
    two resources, a new resource without objects."""
    claimed: dict[tuple[str, str, str], str] = {}
    for resource in run.of("k8s_resource"):
        name = str(resource.get("new_name") or resource.get("workload"))
        workload = resource.get("workload")
        if workload and workload not in run.workloads():
            raise TiltfileError(f"k8s_resource: no workload {workload!r} in the YAML")
        if not workload and not (resource.get("new_name") and resource.get("objects")):
            raise TiltfileError("k8s_resource: a new resource needs new_name and objects")
        for selector in resource.get("objects", []):
            matched = _selected(selector, run.manifests)
            if len(matched) != 1:
                raise TiltfileError(f"k8s_resource: {selector!r} matches {len(matched)} objects")
            (m,) = matched
            key = (m["kind"], m["metadata"].get("namespace") or "", m["metadata"]["name"])
            if key in claimed:
                raise TiltfileError(f"k8s_resource: {selector!r} is already in {claimed[key]}")
            claimed[key] = name


@functools.cache
def _session_sandbox() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="tiltfile-")  # removed at exit


def execute(
    tiltfile: Path = REPO / "Tiltfile",
    *,
    context: str = "kind-eda",
    settings: dict[str, Any] | None = None,
    sandbox: Path | None = None,
) -> Run:
    """One execution; what local() writes goes under ``sandbox``, by default one
    temporary folder for the whole test session (as one checkout keeps its files)."""
    sandbox = sandbox or Path(_session_sandbox().name)
    run = Run()
    module = sl.Module()

    def stand_in(
        name: str, signature: Signature, result: Callable[[dict[str, Any]], Any]
    ) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = bind(name, signature, args, kwargs)
            run.calls.append((name, bound))
            return result(bound)

        return call

    def read_json(bound: dict[str, Any]) -> Any:
        if bound["path"] == "tilt_settings.json" and settings is not None:
            return settings
        path = REPO / bound["path"]
        return json.loads(path.read_text()) if path.exists() else bound.get("default")

    def read_yaml(bound: dict[str, Any]) -> Any:
        return yaml.safe_load((REPO / bound["path"]).read_text())

    def read_file(bound: dict[str, Any]) -> Any:
        path = REPO / bound["file_path"]
        return path.read_text() if path.exists() else bound.get("default")

    def k8s_yaml(bound: dict[str, Any]) -> None:
        for text in _yaml_arguments(bound["yaml"]):
            run.manifests.extend(documents(text))

    def fail(bound: dict[str, Any]) -> None:
        raise TiltfileError(bound["msg"])

    results: dict[str, Callable[[dict[str, Any]], Any]] = {
        "helm": lambda b: {"blob": _helm_template(b)},
        "blob": lambda b: {"blob": b["contents"]},
        "k8s_yaml": k8s_yaml,
        "decode_yaml_stream": lambda b: list(yaml.safe_load_all(_text(b["yaml"]))),
        "local": lambda b: _credentials(b, sandbox),
        "port_forward": lambda b: {"port_forward": b},
        "link": lambda b: {"link": b},
        "sync": lambda b: {"sync": b},
        "run": lambda b: {"run": b},
        "fall_back_on": lambda b: {"fall_back_on": b},
        "read_json": read_json,
        "read_yaml": read_yaml,
        "read_file": read_file,
        "k8s_context": lambda b: context,
        "fail": fail,
    }
    for name, signature in SIGNATURES.items():
        module.add_callable(name, stand_in(name, signature, results.get(name, lambda b: None)))
    module["TRIGGER_MODE_AUTO"] = "TRIGGER_MODE_AUTO"
    module["TRIGGER_MODE_MANUAL"] = "TRIGGER_MODE_MANUAL"

    def restart(bound: dict[str, Any]) -> None:
        extra = {k: v for k, v in bound.items() if k not in RESTART_PROCESS.parameters}
        bind("docker_build (via docker_build_with_restart)", SIGNATURES["docker_build"],
             (bound["ref"], bound["context"]), extra)  # fmt: skip

    extension = sl.Module()
    extension.add_callable(
        "docker_build_with_restart", stand_in("docker_build_with_restart", RESTART_PROCESS, restart)
    )
    extensions = {"ext://restart_process": extension.freeze()}

    def load(path: str) -> sl.FrozenModule:
        if path not in extensions:
            raise TiltfileError(f"load({path!r}): no such extension here")
        return extensions[path]

    ast = sl.parse(str(tiltfile), tiltfile.read_text(), sl.Dialect.extended())
    try:
        sl.eval(module, ast, sl.Globals.standard(), sl.FileLoader(load))
    except sl.StarlarkError as exc:
        raise TiltfileError(str(exc)) from exc
    check_resources(run)
    return run
