"""``eda-schemas``: write the event contracts to files, or check the committed ones.

``generate`` refuses to overwrite a schema with a breaking change or to delete the
schema of a version that is no longer registered: either means events already
published would lose their contract. ``--allow-breaking`` is for a version that was
never published.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.schemas.asyncapi import ASYNCAPI_FILE, asyncapi_document
from shared.schemas.compatibility import Status, Verdict, check, report, schema_path
from shared.schemas.json_schema import SCHEMAS_DIR, EventSchema, registered_schemas, render_json

DEFAULT_DIR = Path("docs/events")
_BLOCKS_GENERATE = frozenset({Status.BREAKING, Status.UNREGISTERED})


def expected_files(schemas: Sequence[EventSchema]) -> dict[str, str]:
    """Every generated file, relative path -> content."""
    files = {schema_path(schema.file_name): render_json(schema.document) for schema in schemas}
    files[ASYNCAPI_FILE] = render_json(asyncapi_document(schemas))
    return files


def committed_files(directory: Path) -> dict[str, str]:
    """The files ``generate`` owns in ``directory``, relative path -> content."""
    paths = sorted((directory / SCHEMAS_DIR).glob("*.json"))
    if (directory / ASYNCAPI_FILE).is_file():
        paths.append(directory / ASYNCAPI_FILE)
    return {
        path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8") for path in paths
    }


def verdicts_for(directory: Path) -> list[Verdict]:
    schemas = registered_schemas()
    asyncapi_text = expected_files(schemas)[ASYNCAPI_FILE]
    return check(committed_files(directory), schemas, asyncapi_text)


def generate(directory: Path, *, allow_breaking: bool) -> int:
    schemas = registered_schemas()
    expected = expected_files(schemas)
    committed = committed_files(directory)
    blocking = [
        verdict
        for verdict in check(committed, schemas, expected[ASYNCAPI_FILE])
        if verdict.status in _BLOCKS_GENERATE
    ]
    if blocking and not allow_breaking:
        print(report(blocking), file=sys.stderr)
        print(
            "nothing written: publish a new version instead of editing a published one, "
            "or pass --allow-breaking if the affected versions were never published",
            file=sys.stderr,
        )
        return 1
    for relative, text in expected.items():
        path = directory / relative
        if committed.get(relative) == text:
            print(f"unchanged {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    for relative in sorted(committed.keys() - expected.keys()):
        (directory / relative).unlink()
        print(f"removed {directory / relative}")
    return 0


def run_check(directory: Path) -> int:
    if not directory.is_dir():
        print(f"{directory} does not exist: run `eda-schemas generate`", file=sys.stderr)
        return 1
    verdicts = verdicts_for(directory)
    if all(verdict.ok for verdict in verdicts):
        print(report(verdicts))
        return 0
    print(report(verdicts), file=sys.stderr)
    return 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="eda-schemas",
        description="Generate the event JSON Schemas and AsyncAPI document, or check them.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    generate_command = commands.add_parser(
        "generate", help="write every schema and the AsyncAPI document"
    )
    generate_command.add_argument(
        "--out", type=Path, default=DEFAULT_DIR, help=f"target directory (default {DEFAULT_DIR})"
    )
    generate_command.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite schemas despite breaking changes and delete schemas of unregistered "
        "versions; only for versions that were never published",
    )
    check_command = commands.add_parser(
        "check", help="exit 1 unless the committed files match the registered models"
    )
    check_command.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help=f"directory to check (default {DEFAULT_DIR})"
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    if arguments.command == "generate":
        return generate(arguments.out, allow_breaking=arguments.allow_breaking)
    return run_check(arguments.dir)


if __name__ == "__main__":
    sys.exit(main())
