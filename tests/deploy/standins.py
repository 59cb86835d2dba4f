"""Stand-in executables for the tools `make dev`, `make deploy` and `make images` run
(helm, kubectl, kind, tilt, docker, podman, uname, npm), each appending its arguments to
one shared log, and a PATH that holds them and the system's own commands, but none of
the real helm, kubectl, kind, tilt, docker or podman."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.chart import HELM, REPO

# What a test decides to be there or not: the machine's own copies never count.
SHADOWED = frozenset({"helm", "kubectl", "kind", "tilt", "docker", "podman", "uname", "npm"})
SYSTEM_DIRS = (Path("/usr/bin"), Path("/bin"))

# Real outputs of the versions the scripts need, from each tool's own `version`.
HELM_V4 = "v4.1.4+g05fa379"
HELM_V3 = "v3.16.2+g13654a5"
KUBECTL = "Client Version: v1.35.2\nKustomize Version: v5.7.1"
KIND = "kind v0.24.0 go1.22.6 linux/amd64"
TILT = "v0.36.0, built 2025-10-01"

# ELF header: magic, then e_machine at offset 18 (0x3e: x86-64).
ELF_MAGIC = b"\x7fELF"
EM_X86_64 = b"\x3e\x00"

PLATFORMS = {
    "darwin-arm64": ("Darwin", "arm64"),
    "darwin-x86_64": ("Darwin", "x86_64"),
    "linux-aarch64": ("Linux", "aarch64"),
    "linux-x86_64": ("Linux", "x86_64"),
}


def system_bin(target: Path) -> Path:
    """A folder of links to every command of /usr/bin and /bin but the shadowed ones."""
    target.mkdir(parents=True, exist_ok=True)
    for directory in SYSTEM_DIRS:
        for command in directory.iterdir():
            link = target / command.name
            if command.name not in SHADOWED and not link.exists():
                link.symlink_to(command)
    return target


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


@dataclass
class Machine:
    """A tmp bin folder of stand-ins in front of the system's commands."""

    root: Path
    system: Path
    bin: Path = field(init=False)
    log: Path = field(init=False)
    fetched: Path = field(init=False)
    home: Path = field(init=False)

    def __post_init__(self) -> None:
        self.bin = self.root / "bin"
        self.log = self.root / "calls.log"
        # TOOLS_BIN: where fetch-tools.sh puts (or finds) its pinned copies.
        self.fetched = self.root / "fetched"
        self.home = self.root / "home"
        for folder in (self.bin, self.fetched, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        self.platform("Linux", "x86_64")
        # A fetch here would reach the network: the stand-in records it and fails.
        self.standin("npm", 'echo "npm: no network in this test" >&2\nexit 1\n')

    def standin(self, name: str, body: str = "") -> Path:
        """An executable `name` that logs `name arg...` and then runs body."""
        path = self.bin / name
        record = f"{{ printf '%s' {name}; printf ' %q' \"$@\"; echo; }} >>{self.log}\n"
        _script(path, record + body)
        return path

    def platform(self, system: str, machine: str) -> None:
        path = self.bin / "uname"
        _script(
            path,
            f'case "${{1:-}}" in -m) echo {machine} ;; -s | "") echo {system} ;;'
            ' *) echo "uname stand-in: $1 not known" >&2; exit 2 ;; esac\n',
        )

    def helm(self, version: str = HELM_V4) -> None:
        # `template` is the real helm's (make tools): rendering touches no cluster.
        self.standin(
            "helm",
            f'case "$1" in version) echo "{version}" ;;'
            f' template) exec {shlex.quote(str(HELM))} "$@" ;;'
            ' upgrade) echo "stand-in: helm $*" ;; esac\n',
        )

    def kubectl(
        self,
        context: str | None = "kind-eda",
        version: str = KUBECTL,
        secrets: Iterable[str] | None = None,
        secrets_answer: str | None = None,
    ) -> None:
        """``secrets``: the Secrets the namespace has (None: every one asked for);
        ``secrets_answer``: an error every `get secret` gets instead (RBAC, say)."""
        current = (
            f"echo {shlex.quote(context)}"
            if context
            else 'echo "error: current-context is not set" >&2; exit 1'
        )
        if secrets_answer is not None:
            get = f"echo {shlex.quote(secrets_answer)} >&2; exit 1"
        elif secrets is None:
            get = 'echo "secret/$name"'
        else:
            known = " ".join(shlex.quote(name) for name in secrets)
            get = (
                f'for s in {known}; do [[ "$s" == "$name" ]] && {{ echo "secret/$name"; exit 0; }};'
                ' done; echo "Error from server (NotFound): secrets \\"$name\\" not found" >&2;'
                " exit 1"
            )
        self.standin(
            "kubectl",
            'name=""; for a in "$@"; do [[ "$prev" == secret ]] && name="$a"; prev="$a"; done\n'
            f'case "$1" in version) printf "%s\\n" {shlex.quote(version)} ;;'
            f" config) {current} ;; esac\n"
            f'if [[ " $* " == *" get secret "* ]]; then {get}; fi\n',
        )

    def kind(self, version: str = KIND, clusters: str = "eda") -> None:
        self.standin(
            "kind",
            f'case "$1" in version) echo "{version}" ;;'
            f' get) printf "%s\\n" {shlex.quote(clusters)} ;;'
            # An archive must still be there when kind reads it.
            ' load) if [[ "$2" == image-archive ]]; then'
            f' [[ -s "$3" ]] && echo "archive-present $3" >>{self.log}; fi ;; esac\n',
        )

    def tilt(self, version: str = TILT) -> None:
        # Which helm and kubectl Tilt would run: the first on its PATH.
        self.standin(
            "tilt",
            f'case "$1" in version) echo "{version}" ;;'
            f' *) echo "tilt-path helm=$(command -v helm) kubectl=$(command -v kubectl)"'
            f" >>{self.log} ;; esac\n",
        )

    def container(self, name: str = "docker") -> None:
        # `save -o FILE` leaves a file, as the real one does.
        self.standin(
            name,
            'if [[ "$1" == save ]]; then while [[ $# -gt 0 && "$1" != -o ]]; do shift; done;'
            ' echo archive >"$2"; fi\n'
            'if [[ "$1" == version ]]; then echo "27.3.1"; fi\n',
        )

    def all_tools(self) -> None:
        self.helm()
        self.kubectl()
        self.kind()
        self.tilt()
        self.container()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}:{self.system}",
            "HOME": str(self.home),
            "TOOLS_BIN": str(self.fetched),
            **extra,
        }

    def calls(self, tool: str | None = None) -> list[list[str]]:
        """The logged calls, each as [tool, arg, ...], in the order they were made."""
        lines = [shlex.split(line) for line in self.log.read_text().splitlines() if line]
        return [line for line in lines if tool is None or line[0] == tool]

    def installs(self) -> list[list[str]]:
        return [c for c in self.calls("helm") if "upgrade" in c or "install" in c]

    def tilt_path(self) -> dict[str, str]:
        (line,) = [c for c in self.calls() if c[0] == "tilt-path"]
        return dict(item.split("=", 1) for item in line[1:])


def run(
    command: list[str],
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 60,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
        stdin=stdin,
    )


def runs_on(path: Path, system: str, machine: str) -> bool:
    """Whether the executable at path can run on that platform: a script anywhere, an
    ELF x86-64 binary (the fetched helm and kubectl) only on Linux x86_64."""
    head = path.resolve().read_bytes()[:20]
    if head.startswith(b"#!"):
        return True
    if head.startswith(ELF_MAGIC):
        return system == "Linux" and machine == "x86_64" and head[18:20] == EM_X86_64
    return False


def pinned_copies(fetched: Path) -> None:
    """The already-verified helm and kubectl of `make tools`, linked where a fetch would
    put them: fetch-tools.sh then finds them by checksum and needs no network."""
    for name in ("helm", "kubectl"):
        source = REPO / ".tools" / "bin" / name
        assert source.exists(), f"{source} is missing: run `make tools`"
        (fetched / name).symlink_to(source)


def work_tree(target: Path) -> Path:
    """A copy of the repository's deploy tooling, a git checkout of its own: scripts that
    write next to themselves (local-credentials.sh) write there, not into the repo."""
    shutil.copytree(REPO / "deploy" / "tools", target / "deploy" / "tools")
    (target / "deploy" / "kind").mkdir()
    shutil.copy(REPO / "deploy" / "kind" / "cluster.yaml", target / "deploy" / "kind")
    for folder in ("helm", "docker"):
        shutil.copytree(REPO / "deploy" / folder, target / "deploy" / folder)
    shutil.copy(REPO / "Makefile", target / "Makefile")
    shutil.copy(REPO / ".gitignore", target / ".gitignore")
    git = ["git", "-C", str(target), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tree"], check=True)
    return target
