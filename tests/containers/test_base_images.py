"""The stand-in base images podman-offline.sh makes are named under localhost/, never
as the official images, and what the tests build on them is never pushed:
deploy/tools/build-images.sh (`make images`) with the real podman."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.containers import podman
from tests.deploy.dockerfile import REFERENCE, base_images

STANDIN_LABEL = "eda.standin.recipe"
# Nothing listens on the discard port: a push there could only fail, never land.
REGISTRY = "127.0.0.1:9"
pytestmark = pytest.mark.timeout(600)


def _labelled(conf: Path) -> list[str]:
    result = podman.podman(
        conf, "images", "--filter", f"label={STANDIN_LABEL}", "--format",
        "{{.Repository}}:{{.Tag}}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.split() if name != "<none>:<none>"]


def _repository(reference: str) -> str:
    found = REFERENCE.fullmatch(reference)
    assert found is not None, reference
    return found["name"]


def test_no_stand_in_is_named_as_an_official_base_image(podman_conf: Path) -> None:
    official = {_repository(ref) for ref in base_images().values()}
    recorded = base_images(podman.base_images_file(podman_conf))
    labelled = _labelled(podman_conf)
    # Whatever carries the label (the stand-ins, and images built on them) is never
    # named like an official base image.
    assert not [name for name in labelled if _repository(name) in official], labelled
    if podman.stand_in_mode():
        assert all(ref.startswith("localhost/eda-standin/") for ref in recorded.values())
        assert set(recorded.values()) <= set(labelled)
    else:
        assert recorded == base_images()


@pytest.mark.stand_ins
def test_make_images_never_pushes_what_was_built_on_the_stand_ins(
    podman_conf: Path, image_tag: str
) -> None:
    # The label reaches every image built on a stand-in: what the check before a push reads.
    for name in podman.IMAGES:
        inspected = podman.podman(
            podman_conf, "image", "inspect", "--format",
            f'{{{{ index .Config.Labels "{STANDIN_LABEL}" }}}}', podman.image_ref(name, image_tag),
        )  # fmt: skip
        assert inspected.returncode == 0, inspected.stderr
        assert inspected.stdout.strip() not in {"", "<no value>"}, name
    result = podman.build_images(podman_conf, image_tag, registry=REGISTRY)
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "stand-in" in line
    assert REGISTRY in line
    assert "pushing" not in result.stdout
    for name in podman.IMAGES:
        remote = f"{REGISTRY}/eda/{name}:{image_tag}"
        assert podman.podman(podman_conf, "image", "exists", remote).returncode != 0, remote


@pytest.mark.stand_ins
def test_make_images_for_a_registry_refuses_a_stand_in_under_another_name(
    podman_conf: Path, tmp_path: Path
) -> None:
    """As an older podman-offline.sh left them, under names a registry could serve: the
    label, not the name, gives them away, before anything is built."""
    recorded = base_images(podman.base_images_file(podman_conf))
    renamed = {
        name: f"registry.invalid/{podman.unique('base')}/{name.lower()}:1" for name in recorded
    }
    for name, ref in recorded.items():
        assert podman.podman(podman_conf, "tag", ref, renamed[name]).returncode == 0
    bases = tmp_path / "bases.env"
    bases.write_text("".join(f"{name}={ref}\n" for name, ref in renamed.items()))
    try:
        result = podman.build_images(podman_conf, "never-built", registry=REGISTRY, bases=bases)
    finally:
        for ref in renamed.values():
            podman.podman(podman_conf, "untag", ref, ref)
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "stand-in" in line
    assert "building" not in result.stdout
