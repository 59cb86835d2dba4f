"""Whether the schema generated now may replace the one committed for the same type and version.

A committed schema is a published contract: events stored under it must still be
readable, and consumers built on it must still read what producers send. The changes
that break it are a removed property, a changed type (format and ``$ref`` target
included), a new required property, a property that became required and tightened
``additionalProperties``. Anything else is compatible, yet the file still has to be
regenerated so that it describes the model again.

Everything here is a pure function over parsed schemas and file contents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.schemas.asyncapi import ASYNCAPI_FILE
from shared.schemas.json_schema import (
    SCHEMAS_DIR,
    EventSchema,
    parse_schema_file_name,
    render_json,
)

_COMBINATORS = ("anyOf", "oneOf", "allOf")
_OPEN, _CONSTRAINED, _CLOSED = 2, 1, 0
_MAX_LISTED_DIFFERENCES = 10


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    """Dotted path of the property (``items[].unit_price.amount``); empty for the event itself."""
    what: str
    breaking: bool

    def describe(self) -> str:
        where = f"field {self.field!r}" if self.field else "the event"
        return f"{where}: {self.what}"


class Status(StrEnum):
    UP_TO_DATE = "up to date"
    CHANGED_COMPATIBLY = "schema changed compatibly: regenerate"
    BREAKING = "breaking change: publish a new version instead"
    NEW = "new, run generate"
    UNREGISTERED = "committed schema has no registered model: restore the model"
    STALE = "out of date: run generate"
    UNREADABLE = "not a JSON object: run generate"


@dataclass(frozen=True, slots=True)
class Verdict:
    subject: str
    status: Status
    changes: tuple[Change, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is Status.UP_TO_DATE


def compare(committed: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """Every difference between two schemas of one event version, breaking or not."""
    changes = list(_Comparison(committed, current).nodes(committed, current, "", frozenset()))
    if not changes and committed != current:
        # Titles, descriptions or constraints: not breaking, but worth naming.
        changes = [
            Change(pointer, f"changed from {_compact(old)} to {_compact(new)}", breaking=False)
            for pointer, old, new in _differences(committed, current, "")
        ][:_MAX_LISTED_DIFFERENCES]
    return changes


def judge_schema(label: str, committed_text: str | None, current: Mapping[str, Any]) -> Verdict:
    if committed_text is None:
        return Verdict(label, Status.NEW)
    if committed_text == render_json(current):
        return Verdict(label, Status.UP_TO_DATE)
    try:
        committed = json.loads(committed_text)
    except json.JSONDecodeError:
        return Verdict(label, Status.UNREADABLE)
    if not isinstance(committed, dict):
        return Verdict(label, Status.UNREADABLE)
    changes = tuple(compare(committed, current))
    if any(change.breaking for change in changes):
        return Verdict(label, Status.BREAKING, changes)
    return Verdict(label, Status.CHANGED_COMPATIBLY, changes)


def judge_document(name: str, committed_text: str | None, expected_text: str) -> Verdict:
    if committed_text is None:
        return Verdict(name, Status.NEW)
    if committed_text == expected_text:
        return Verdict(name, Status.UP_TO_DATE)
    return Verdict(name, Status.STALE)


def check(
    committed: Mapping[str, str], schemas: Sequence[EventSchema], asyncapi_text: str
) -> list[Verdict]:
    """Judge committed files (relative path -> text) against what the registry yields now."""
    verdicts = [
        judge_schema(schema.label, committed.get(schema_path(schema.file_name)), schema.document)
        for schema in schemas
    ]
    registered = {schema_path(schema.file_name) for schema in schemas}
    verdicts.extend(
        Verdict(_label_of(path), Status.UNREGISTERED)
        for path in sorted(committed)
        if path.startswith(f"{SCHEMAS_DIR}/") and path not in registered
    )
    verdicts.append(judge_document(ASYNCAPI_FILE, committed.get(ASYNCAPI_FILE), asyncapi_text))
    return verdicts


def schema_path(file_name: str) -> str:
    return f"{SCHEMAS_DIR}/{file_name}"


def report(verdicts: Sequence[Verdict]) -> str:
    failing = [verdict for verdict in verdicts if not verdict.ok]
    if not failing:
        return f"all {len(verdicts)} event contracts are up to date"
    lines: list[str] = []
    for verdict in failing:
        lines.append(f"{verdict.subject}: {verdict.status}")
        lines.extend(
            f"  - {change.describe()}{' (breaking)' if change.breaking else ''}"
            for change in verdict.changes
        )
    lines.append(f"{len(failing)} of {len(verdicts)} event contracts need attention")
    return "\n".join(lines)


def _label_of(path: str) -> str:
    parsed = parse_schema_file_name(path.removeprefix(f"{SCHEMAS_DIR}/"))
    return path if parsed is None else f"{parsed[0]} v{parsed[1]} ({path})"


class _Comparison:
    """Walks two schemas side by side, resolving each one's local ``$ref``s in itself."""

    def __init__(self, committed: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        self._committed = committed
        self._current = current

    def nodes(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, seen: frozenset[str]
    ) -> Iterator[Change]:
        old_shape, new_shape = shape(old), shape(new)
        if old_shape != new_shape:
            yield Change(path, f"type changed from {old_shape} to {new_shape}", breaking=True)
            return
        if "$ref" in old:
            yield from self._referenced(old["$ref"], new["$ref"], path, seen)
            return
        if isinstance(old.get("items"), dict):
            yield from self.nodes(old["items"], new["items"], f"{path}[]", seen)
        for keyword in _COMBINATORS:
            yield from self._variants(old.get(keyword, []), new.get(keyword, []), path, seen)
        if _is_object(old) or _is_object(new):
            yield from self._objects(old, new, path, seen)

    def _variants(
        self, old: Sequence[Any], new: Sequence[Any], path: str, seen: frozenset[str]
    ) -> Iterator[Change]:
        if len(old) != len(new):
            # Same set of shapes, different count: two alternatives of one kind merged or split.
            yield Change(path, f"{len(old)} alternatives became {len(new)}", breaking=True)
            return
        pairs = zip(sorted(old, key=shape), sorted(new, key=shape), strict=True)
        for old_variant, new_variant in pairs:
            yield from self.nodes(old_variant, new_variant, path, seen)

    def _referenced(
        self, old_ref: str, new_ref: str, path: str, seen: frozenset[str]
    ) -> Iterator[Change]:
        if old_ref in seen:
            return
        old = _resolve(self._committed, old_ref)
        new = _resolve(self._current, new_ref)
        if old is not None and new is not None:
            yield from self.nodes(old, new, path, seen | {old_ref})

    def _objects(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, seen: frozenset[str]
    ) -> Iterator[Change]:
        yield from self._additional_properties(old, new, path, seen)
        old_properties: Mapping[str, Any] = old.get("properties", {})
        new_properties: Mapping[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        for name in sorted(old_properties.keys() - new_properties.keys()):
            yield Change(_join(path, name), "removed", breaking=True)
        for name in sorted(new_properties.keys() - old_properties.keys()):
            if name in new_required:
                yield Change(_join(path, name), "added as a required property", breaking=True)
            else:
                yield Change(_join(path, name), "added as an optional property", breaking=False)
        for name in sorted(old_properties.keys() & new_properties.keys()):
            field = _join(path, name)
            if name in new_required and name not in old_required:
                yield Change(field, "became required", breaking=True)
            elif name in old_required and name not in new_required:
                yield Change(field, "became optional", breaking=False)
            yield from self.nodes(old_properties[name], new_properties[name], field, seen)

    def _additional_properties(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, seen: frozenset[str]
    ) -> Iterator[Change]:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        old_rank, new_rank = _openness(old_extra), _openness(new_extra)
        if new_rank < old_rank:
            tightened = f"from {_compact(old_extra)} to {_compact(new_extra)}"
            yield Change(path, f"additionalProperties tightened {tightened}", breaking=True)
        elif new_rank > old_rank:
            yield Change(path, "additionalProperties loosened", breaking=False)
        elif old_rank == _CONSTRAINED:
            yield from self.nodes(old_extra, new_extra, _join(path, "*"), seen)


def shape(node: Mapping[str, Any]) -> str:
    """What a value must be, as far as compatibility goes: type, format, enum, ref target."""
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    for keyword in _COMBINATORS:
        if keyword in node:
            variants = sorted({shape(variant) for variant in node[keyword]})
            return f"{keyword}({' | '.join(variants)})"
    if "const" in node:
        return f"const {_compact(node['const'])}"
    declared = node.get("type", "any value")
    kind = " | ".join(sorted(declared)) if isinstance(declared, list) else str(declared)
    if "format" in node:
        kind = f"{kind} ({node['format']})"
    if "enum" in node:
        values = ", ".join(sorted(_compact(value) for value in node["enum"]))
        kind = f"{kind} enum [{values}]"
    if isinstance(node.get("items"), dict):
        kind = f"{kind} of {shape(node['items'])}"
    if "prefixItems" in node:
        kind = f"{kind} of ({', '.join(shape(item) for item in node['prefixItems'])})"
    return kind


def _is_object(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node


def _openness(extra: Any) -> int:
    if extra is False:
        return _CLOSED
    if isinstance(extra, dict) and extra:
        return _CONSTRAINED
    return _OPEN


def _resolve(document: Mapping[str, Any], ref: str) -> Mapping[str, Any] | None:
    if not ref.startswith("#/"):
        return None
    node: Any = document
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def _differences(old: Any, new: Any, pointer: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from _differences(old.get(key), new.get(key), f"{pointer}/{key}")
    elif old != new:
        yield pointer, old, new


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
