"""JSON Schema (draft 2020-12) of the ``data`` of every registered event type and version."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from shared.envelope import dataschema_for
from shared.events import registry
from shared.events.base import Event

JsonObject: TypeAlias = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS_DIR = "schemas"
_FILE_NAME = re.compile(r"^(?P<type>[a-z][a-z0-9_.-]*)\.v(?P<version>[0-9]+)\.json$")


@dataclass(frozen=True, slots=True)
class EventSchema:
    """The schema of one event type and version, as it is written to its file."""

    event_type: str
    version: int
    document: JsonObject

    @property
    def label(self) -> str:
        return f"{self.event_type} v{self.version}"

    @property
    def key(self) -> str:
        """The type and version in one identifier: ``order.placed.v1``."""
        return f"{self.event_type}.v{self.version}"

    @property
    def file_name(self) -> str:
        return schema_file_name(self.event_type, self.version)


def event_schema(model: type[Event]) -> EventSchema:
    document = model.model_json_schema(mode="validation")
    urn = dataschema_for(model.event_type, model.version)
    document["$schema"] = DIALECT
    document["$id"] = urn
    document["title"] = f"{model.event_type} v{model.version}"
    document["description"] = (
        f"The data of a {model.event_type} event, version {model.version}: "
        f"a CloudEvent whose dataschema is {urn}."
    )
    return EventSchema(model.event_type, model.version, document)


def registered_schemas() -> list[EventSchema]:
    """Every registered model's schema, ordered by type and version."""
    return [event_schema(model) for model in registry.all_models()]


def schema_file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def parse_schema_file_name(name: str) -> tuple[str, int] | None:
    match = _FILE_NAME.match(name)
    if match is None:
        return None
    return match["type"], int(match["version"])


def render_json(document: Mapping[str, Any]) -> str:
    """Sorted keys, two-space indent, final newline: regenerating yields identical bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
