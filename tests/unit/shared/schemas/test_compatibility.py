"""Compatibility rules, each with a case that fails and one that passes."""

from __future__ import annotations

from typing import Any

from shared.schemas.compatibility import (
    Change,
    Status,
    Verdict,
    check,
    compare,
    judge_document,
    judge_schema,
    report,
)
from shared.schemas.json_schema import EventSchema, render_json

UUID = {"type": "string", "format": "uuid"}
TEXT = {"type": "string"}
MONEY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"amount": TEXT, "currency": TEXT},
    "required": ["amount", "currency"],
}


def schema(
    properties: dict[str, Any],
    required: list[str] | None = None,
    *,
    extra: Any = False,
    defs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }
    if defs is not None:
        document["$defs"] = defs
    return document


def breaking(changes: list[Change]) -> list[tuple[str, str]]:
    return [(change.field, change.what) for change in changes if change.breaking]


def compatible(changes: list[Change]) -> list[tuple[str, str]]:
    return [(change.field, change.what) for change in changes if not change.breaking]


BASE = schema({"order_id": UUID, "note": TEXT}, ["order_id"])


def test_identical_schemas_have_no_changes() -> None:
    assert compare(BASE, BASE) == []


def test_removed_property_breaks() -> None:
    current = schema({"order_id": UUID}, ["order_id"])

    assert breaking(compare(BASE, current)) == [("note", "removed")]


def test_kept_properties_with_changed_constraints_do_not_break() -> None:
    current = schema({"order_id": UUID, "note": {"type": "string", "maxLength": 10}}, ["order_id"])

    changes = compare(BASE, current)

    assert breaking(changes) == []
    assert compatible(changes) == [("/properties/note/maxLength", "changed from null to 10")]


def test_type_change_breaks() -> None:
    current = schema({"order_id": UUID, "note": {"type": "integer"}}, ["order_id"])

    assert breaking(compare(BASE, current)) == [("note", "type changed from string to integer")]


def test_format_change_breaks() -> None:
    current = schema({"order_id": TEXT, "note": TEXT}, ["order_id"])

    assert breaking(compare(BASE, current)) == [
        ("order_id", "type changed from string (uuid) to string")
    ]


def test_ref_target_change_breaks() -> None:
    committed = schema({"total": {"$ref": "#/$defs/Money"}}, defs={"Money": MONEY})
    current = schema({"total": {"$ref": "#/$defs/Price"}}, defs={"Price": MONEY})

    assert breaking(compare(committed, current)) == [("total", "type changed from Money to Price")]


def test_same_ref_target_with_same_definition_does_not_break() -> None:
    committed = schema({"total": {"$ref": "#/$defs/Money"}}, defs={"Money": MONEY})

    assert compare(committed, dict(committed)) == []


def test_change_inside_a_referenced_definition_breaks_with_its_path() -> None:
    line = {
        "type": "object",
        "properties": {"unit_price": {"$ref": "#/$defs/Money"}},
        "required": ["unit_price"],
    }
    items = {"type": "array", "items": {"$ref": "#/$defs/Line"}}
    committed = schema({"items": items}, defs={"Line": line, "Money": MONEY})
    money = {**MONEY, "properties": {"amount": {"type": "number"}, "currency": TEXT}}
    current = schema({"items": items}, defs={"Line": line, "Money": money})

    assert breaking(compare(committed, current)) == [
        ("items[].unit_price.amount", "type changed from string to number")
    ]


def test_nullable_is_a_type_change() -> None:
    current = schema({"order_id": UUID, "note": {"anyOf": [TEXT, {"type": "null"}]}}, ["order_id"])

    assert breaking(compare(BASE, current)) == [
        ("note", "type changed from string to anyOf(null | string)")
    ]


def test_enum_values_are_part_of_the_type() -> None:
    committed = schema({"status": {"type": "string", "enum": ["pending", "confirmed"]}})
    reordered = schema({"status": {"type": "string", "enum": ["confirmed", "pending"]}})
    widened = schema({"status": {"type": "string", "enum": ["pending", "confirmed", "x"]}})

    assert breaking(compare(committed, reordered)) == []
    assert [field for field, _ in breaking(compare(committed, widened))] == ["status"]


def test_new_required_property_breaks() -> None:
    current = schema({"order_id": UUID, "note": TEXT, "reason": TEXT}, ["order_id", "reason"])

    assert breaking(compare(BASE, current)) == [("reason", "added as a required property")]


def test_new_optional_property_is_compatible() -> None:
    current = schema({"order_id": UUID, "note": TEXT, "reason": TEXT}, ["order_id"])

    changes = compare(BASE, current)

    assert breaking(changes) == []
    assert compatible(changes) == [("reason", "added as an optional property")]


def test_property_that_became_required_breaks() -> None:
    current = schema({"order_id": UUID, "note": TEXT}, ["order_id", "note"])

    assert breaking(compare(BASE, current)) == [("note", "became required")]


def test_property_that_became_optional_is_compatible() -> None:
    current = schema({"order_id": UUID, "note": TEXT}, [])

    changes = compare(BASE, current)

    assert breaking(changes) == []
    assert compatible(changes) == [("order_id", "became optional")]


def test_additional_properties_tightened_breaks() -> None:
    open_schema = schema({"order_id": UUID}, extra=True)
    unspecified = {
        key: value for key, value in open_schema.items() if key != "additionalProperties"
    }
    closed = schema({"order_id": UUID}, extra=False)

    assert breaking(compare(open_schema, closed)) == [
        ("", "additionalProperties tightened from true to false")
    ]
    assert [field for field, _ in breaking(compare(unspecified, closed))] == [""]


def test_additional_properties_tightened_in_a_nested_object_breaks() -> None:
    loose_money = {**MONEY, "additionalProperties": True}
    committed = schema({"total": {"$ref": "#/$defs/Money"}}, defs={"Money": loose_money})
    current = schema({"total": {"$ref": "#/$defs/Money"}}, defs={"Money": MONEY})

    assert [field for field, _ in breaking(compare(committed, current))] == ["total"]


def test_additional_properties_loosened_is_compatible() -> None:
    closed = schema({"order_id": UUID}, extra=False)
    open_schema = schema({"order_id": UUID}, extra=True)

    changes = compare(closed, open_schema)

    assert breaking(changes) == []
    assert compatible(changes) == [("", "additionalProperties loosened")]


def test_recursive_definitions_terminate() -> None:
    node = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    }
    committed = schema({"root": {"$ref": "#/$defs/Node"}}, defs={"Node": node})

    assert compare(committed, committed) == []


def test_missing_committed_schema_is_new() -> None:
    assert judge_schema("order.placed v1", None, BASE) == Verdict("order.placed v1", Status.NEW)


def test_identical_text_is_up_to_date() -> None:
    assert judge_schema("order.placed v1", render_json(BASE), BASE).ok


def test_compatible_change_asks_for_regeneration() -> None:
    current = schema({"order_id": UUID, "note": TEXT, "reason": TEXT}, ["order_id"])

    verdict = judge_schema("order.placed v1", render_json(BASE), current)

    assert verdict.status is Status.CHANGED_COMPATIBLY
    assert "schema changed compatibly: regenerate" in report([verdict])


def test_formatting_only_difference_asks_for_regeneration() -> None:
    verdict = judge_schema("order.placed v1", render_json(BASE).rstrip("\n"), BASE)

    assert verdict.status is Status.CHANGED_COMPATIBLY
    assert verdict.changes == ()


def test_unparseable_committed_file_is_reported() -> None:
    assert judge_schema("order.placed v1", "{", BASE).status is Status.UNREADABLE
    assert judge_schema("order.placed v1", "[]", BASE).status is Status.UNREADABLE


def test_breaking_report_names_event_version_field_and_the_remedy() -> None:
    current = schema({"order_id": {"type": "integer"}}, ["order_id"])

    verdict = judge_schema("order.placed v1", render_json(BASE), current)
    text = report([verdict])

    assert verdict.status is Status.BREAKING
    assert "order.placed v1" in text
    assert "field 'note': removed (breaking)" in text
    assert "field 'order_id': type changed from string (uuid) to integer (breaking)" in text
    assert "publish a new version instead" in text


def test_check_reports_new_unregistered_and_stale_files() -> None:
    schemas = [EventSchema("order.placed", 1, BASE), EventSchema("order.placed", 2, BASE)]
    committed = {
        "schemas/order.placed.v1.json": render_json(BASE),
        "schemas/order.retired.v1.json": render_json(BASE),
        "asyncapi.json": "{}\n",
    }

    verdicts = check(committed, schemas, asyncapi_text='{"asyncapi": "3.0.0"}\n')

    assert [(verdict.subject, verdict.status) for verdict in verdicts] == [
        ("order.placed v1", Status.UP_TO_DATE),
        ("order.placed v2", Status.NEW),
        ("order.retired v1 (schemas/order.retired.v1.json)", Status.UNREGISTERED),
        ("asyncapi.json", Status.STALE),
    ]
    text = report(verdicts)
    assert "order.placed v2: new, run generate" in text
    assert "3 of 4 event contracts need attention" in text


def test_document_verdicts() -> None:
    assert judge_document("asyncapi.json", None, "{}").status is Status.NEW
    assert judge_document("asyncapi.json", "{}", "{}").ok
    assert judge_document("asyncapi.json", "{ }", "{}").status is Status.STALE
