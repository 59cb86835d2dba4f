"""Runs the Tiltfile with recording stand-ins for Tilt's builtins (starlark-pyo3).

Each stand-in binds its arguments the way Tilt's documented signature does
(https://docs.tilt.dev/api.html): a misspelt or unknown keyword, a missing
required argument or one positional too many fails the run, as it would in Tilt."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import starlark as sl
import yaml

from tests.deploy.chart import REPO


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


def execute(
    tiltfile: Path = REPO / "Tiltfile",
    *,
    context: str = "kind-eda",
    settings: dict[str, Any] | None = None,
) -> Run:
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

    def fail(bound: dict[str, Any]) -> None:
        raise TiltfileError(bound["msg"])

    results: dict[str, Callable[[dict[str, Any]], Any]] = {
        "helm": lambda b: {"blob": "helm", **b},
        "blob": lambda b: {"blob": b["contents"]},
        "port_forward": lambda b: {"port_forward": b},
        "link": lambda b: {"link": b},
        "sync": lambda b: {"sync": b},
        "run": lambda b: {"run": b},
        "fall_back_on": lambda b: {"fall_back_on": b},
        "read_json": read_json,
        "read_yaml": read_yaml,
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
    return run
