"""The committed contracts under docs/events match the registered models.

This fails when a registered model is edited: an incompatible edit must become a
new version instead, a compatible one needs `eda-schemas generate`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.events import registry
from shared.schemas.cli import main, verdicts_for
from shared.schemas.compatibility import report

REPO = Path(__file__).resolve().parents[4]
EVENTS_DIR = REPO / "docs" / "events"


def test_committed_contracts_are_up_to_date() -> None:
    verdicts = verdicts_for(EVENTS_DIR)

    assert all(verdict.ok for verdict in verdicts), report(verdicts)


def test_catalogue_lists_every_registered_type_and_version() -> None:
    catalogue = (REPO / "docs" / "events.md").read_text(encoding="utf-8")

    for model in registry.all_models():
        assert f"| `{model.event_type}` | {model.version} |" in catalogue


def test_check_command_passes_on_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--dir", str(EVENTS_DIR)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_generate_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out

    assert f"wrote {tmp_path / 'asyncapi.json'}" in written
    assert main(["check", "--dir", str(tmp_path)]) == 0
    assert main(["generate", "--out", str(tmp_path)]) == 0
    assert "wrote" not in capsys.readouterr().out


def test_check_fails_on_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--dir", str(tmp_path / "absent")]) == 1
    assert "run `eda-schemas generate`" in capsys.readouterr().err


def test_generate_refuses_to_overwrite_a_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["generate", "--out", str(tmp_path)])
    path = tmp_path / "schemas" / "order.placed.v1.json"
    # A committed schema with a field the model no longer has: as if the model lost it.
    committed = json.loads(path.read_text(encoding="utf-8"))
    committed["properties"]["coupon"] = {"type": "string"}
    path.write_text(json.dumps(committed), encoding="utf-8")
    capsys.readouterr()

    assert main(["check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "order.placed v1: breaking change: publish a new version instead" in err
    assert "field 'coupon': removed (breaking)" in err

    assert main(["generate", "--out", str(tmp_path)]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert "coupon" in path.read_text(encoding="utf-8")

    assert main(["generate", "--out", str(tmp_path), "--allow-breaking"]) == 0
    assert main(["check", "--dir", str(tmp_path)]) == 0


def test_generate_keeps_schemas_of_unregistered_versions_unless_allowed(tmp_path: Path) -> None:
    main(["generate", "--out", str(tmp_path)])
    retired = tmp_path / "schemas" / "order.retired.v1.json"
    retired.write_text("{}\n", encoding="utf-8")

    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert main(["generate", "--out", str(tmp_path)]) == 1
    assert retired.exists()
    assert main(["generate", "--out", str(tmp_path), "--allow-breaking"]) == 0
    assert not retired.exists()
