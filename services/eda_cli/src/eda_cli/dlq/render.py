"""Dead letters as text (tables, one in detail) and as JSON-ready dictionaries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eda_cli.dlq.records import DeadLetter

REASON_WIDTH = 70
BODY_PREVIEW_BYTES = 2048
HEX_PREVIEW_BYTES = 256


def table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in [headings, *rows]) for column in range(len(headings))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headings, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def letters_table(letters: Sequence[DeadLetter]) -> str:
    return table(
        ["ID", "EVENT TYPE", "FAILED AT", "ATTEMPTS", "EVENT ID", "REASON"],
        [
            [
                letter.id,
                letter.event_type or "-",
                short_time(letter.failed_at),
                "-" if letter.attempts is None else str(letter.attempts),
                letter.event_id or "-",
                truncate(letter.reason, REASON_WIDTH),
            ]
            for letter in letters
        ],
    )


def digest_table(letters: Sequence[DeadLetter], digest_length: int) -> str:
    """What a replay or purge is about to act on: which bytes, claiming which source."""
    return table(
        ["ID", "SHA256", "SOURCE", "EVENT TYPE", "EVENT ID", "ORIGIN"],
        [
            [
                letter.id,
                letter.sha256[:digest_length],
                letter.source or "-",
                letter.event_type or "-",
                letter.event_id or "-",
                letter.origin or "-",
            ]
            for letter in letters
        ],
    )


def letter_summary(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "failed_at": letter.failed_at,
        "attempts": letter.attempts,
        "reason": letter.reason,
        "origin": letter.origin,
        "key": letter.key.decode(errors="replace") if letter.key is not None else None,
        "size": len(letter.body),
        "sha256": letter.sha256,
        "source": letter.source,
    }


def letter_detail(letter: DeadLetter, subscriber: str, location: str) -> str:
    fields = [
        ("id", letter.id),
        ("subscriber", subscriber),
        ("stored in", location),
        ("event type", letter.event_type or "-"),
        ("event id", letter.event_id or "-"),
        ("source", letter.source or "-"),
        ("sha256", letter.sha256),
        ("failed at", letter.failed_at or "-"),
        ("attempts", "-" if letter.attempts is None else str(letter.attempts)),
        ("origin", letter.origin or "-"),
        ("key", letter.key.decode(errors="replace") if letter.key is not None else "-"),
        ("content type", letter.content_type or "-"),
        ("reason", letter.reason),
    ]
    width = max(len(name) for name, _ in fields) + 1
    lines = [f"{name + ':':<{width}} {value}" for name, value in fields]
    lines.append("headers:")
    lines.extend(f"  {name}: {value}" for name, value in sorted(letter.headers.items()))
    lines.append(body_preview(letter.body))
    return "\n".join(lines)


def body_preview(body: bytes) -> str:
    """Pretty JSON if it parses, else the text with control characters escaped, else
    a hex dump; long bodies are cut."""
    try:
        pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        pass
    else:
        return f"body ({len(body)} bytes, JSON):\n{pretty}"
    try:
        text = body.decode()
    except UnicodeDecodeError:
        more = len(body) - HEX_PREVIEW_BYTES
        cut = f"\n... {more} more bytes" if more > 0 else ""
        return f"body ({len(body)} bytes, binary):\n{hex_dump(body[:HEX_PREVIEW_BYTES])}{cut}"
    shown = "".join(
        char if char.isprintable() or char == "\n" else _escape(char)
        for char in text[:BODY_PREVIEW_BYTES]
    )
    more = len(text) - BODY_PREVIEW_BYTES
    cut = f"\n... {more} more characters" if more > 0 else ""
    return f"body ({len(body)} bytes, not JSON):\n{shown}{cut}"


def hex_dump(data: bytes) -> str:
    lines = []
    for start in range(0, len(data), 16):
        chunk = data[start : start + 16]
        printable = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<47}  {printable}")
    return "\n".join(lines)


def short_time(value: str | None) -> str:
    if value is None:
        return "-"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def truncate(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
