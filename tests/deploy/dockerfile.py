"""Replays a Dockerfile's build stage on this machine: its COPY lines into a folder
that stands for the image's root filesystem (honouring .dockerignore), its RUN lines
with the stage's ENV, absolute paths moved under that folder. The image's uv is the
one `make env` installed, checked to be the same version. No image is built; what
the install steps do is done for real. The base images are those `make images` passes
as build arguments: deploy/docker/base-images.env's."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.chart import REPO

UV = REPO / ".tools" / "uv" / "bin" / "uv"
DOCKERFILES = REPO / "deploy" / "docker"
BASE_IMAGES = DOCKERFILES / "base-images.env"
# name[:port]/path:tag[@sha256:<64 hex>]: the form build-images.sh accepts.
REFERENCE = re.compile(
    r"(?P<name>[a-z0-9][a-z0-9.-]*(?::[0-9]+)?(?:/[a-z0-9._-]+)+)"
    r":(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


@dataclass
class Instruction:
    keyword: str
    arguments: str

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        words = shlex.split(self.arguments)
        flags = {}
        while words and words[0].startswith("--"):
            key, _, value = words.pop(0)[2:].partition("=")
            flags[key] = value
        return flags, words


@dataclass
class Stage:
    image: str
    """The base image, its build arguments replaced."""
    name: str
    instructions: list[Instruction] = field(default_factory=list)
    source: str = ""
    """The FROM line's image as written."""

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def base_images(path: Path = BASE_IMAGES) -> dict[str, str]:
    """NAME=reference lines, as build-images.sh reads them."""
    pairs = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def global_arguments(path: Path) -> dict[str, str]:
    """The ARG lines before the first FROM, with their defaults."""
    arguments = {}
    for line in path.read_text().splitlines():
        keyword, _, rest = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            break
        if keyword.upper() == "ARG":
            name, _, default = rest.strip().partition("=")
            arguments[name] = default
    return arguments


def parse(path: Path, build_args: dict[str, str] | None = None) -> list[Stage]:
    """The stages, FROM's build arguments taken from ``build_args``, else from the
    Dockerfile's defaults."""
    values = {**global_arguments(path), **(build_args or {})}
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, arguments = stripped.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            source, *alias = arguments.split()
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values[m[1] or m[2]], source)
            stages.append(Stage(image, alias[1] if alias else str(len(stages)), source=source))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, " ".join(arguments.split())))
    return stages


def stage(stages: list[Stage], name: str) -> Stage:
    (found,) = [s for s in stages if s.name == name]
    return found


def environment_pairs(instruction: Instruction) -> dict[str, str]:
    return dict(word.split("=", 1) for word in shlex.split(instruction.arguments))


def _glob_regex(glob: str) -> re.Pattern[str]:
    """A .dockerignore pattern: `*` within one path segment, `**` across segments."""
    regex = ""
    for part in glob.strip("/").split("/"):
        if part == "**":
            regex += "(?:.*/)?"
        else:
            regex += fnmatch.translate(part)[4:-3].replace(".*", "[^/]*") + "/"
    return re.compile(regex.removesuffix("/") + r"\Z")


def ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    patterns = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            patterns.append((line.startswith("!"), _glob_regex(line.lstrip("!"))))
    return patterns


def ignored(relative: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents wins."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for negated, pattern in patterns:
        if any(pattern.match(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict


class BuildStage:
    """The build stage replayed into `root` (the image's `/`)."""

    def __init__(self, dockerfile: Path, root: Path) -> None:
        self.stages = parse(dockerfile, base_images())
        self.root = root
        self.env: dict[str, str] = {}
        self.workdir = "/"
        self.patterns = ignore_patterns()

    def at(self, path: str) -> Path:
        absolute = path if path.startswith("/") else f"{self.workdir.rstrip('/')}/{path}"
        return self.root / absolute.lstrip("/")

    def build(self, name: str = "build") -> None:
        for instruction in stage(self.stages, name).instructions:
            getattr(self, "_" + instruction.keyword.lower())(instruction)

    def _env(self, instruction: Instruction) -> None:
        self.env.update(environment_pairs(instruction))

    def _workdir(self, instruction: Instruction) -> None:
        self.workdir = instruction.arguments
        self.at(".").mkdir(parents=True, exist_ok=True)

    def _copy(self, instruction: Instruction) -> None:
        flags, words = instruction.flags_and_words()
        *sources, destination = words
        if "from" in flags:
            self._copy_uv(stage(self.stages, flags["from"]), sources, destination)
            return
        for source in sources:
            self._copy_from_context(source, destination, many=len(sources) > 1)

    def _copy_uv(self, source_stage: Stage, sources: list[str], destination: str) -> None:
        reference = REFERENCE.fullmatch(source_stage.image)
        assert reference is not None, source_stage.image
        repository, tag = reference["name"], reference["tag"]
        assert repository == "ghcr.io/astral-sh/uv", source_stage.image
        version = subprocess.run(
            [str(UV), "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[1]
        assert tag == version, f"the image's uv {tag} is not `make env`'s {version}"
        assert sources == ["/uv"], sources
        target = self.at(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(UV)

    def _copy_from_context(self, source: str, destination: str, *, many: bool) -> None:
        origin = REPO / source
        assert origin.exists(), f"COPY {source}: not in the build context"
        assert not ignored(source.rstrip("/"), self.patterns), f"COPY {source}: .dockerignore"
        target = self.at(destination)
        if origin.is_file():
            if destination.endswith("/") or many:
                target = target / origin.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
            return
        for path in origin.rglob("*"):
            relative = path.relative_to(REPO).as_posix()
            if path.is_file() and not ignored(relative, self.patterns):
                copied = target / path.relative_to(origin)
                copied.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copied)

    def _run(self, instruction: Instruction) -> None:
        command = re.sub(r"^(--\S+\s+)+", "", instruction.arguments)
        environment = {
            "PATH": f"{self.root}/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            # The image's interpreter; this machine's is the same minor version.
            "UV_PYTHON": str(Path(sys.base_prefix) / "bin" / "python3.11"),
            # Everything comes from the cache `make env` filled: no network.
            "UV_OFFLINE": "1",
            **{key: self.rerooted(value) for key, value in self.env.items()},
        }
        result = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=self.at("."),
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"

    def rerooted(self, value: str) -> str:
        return str(self.root) + value if value.startswith("/") else value


def entrypoint(stages: list[Stage]) -> list[str]:
    (instruction,) = stages[-1].of("ENTRYPOINT")
    words: list[str] = json.loads(instruction.arguments)
    return words
