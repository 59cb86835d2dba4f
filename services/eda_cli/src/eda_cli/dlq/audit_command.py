"""``eda dlq audit``: the audit record read back, from each broker a subscriber uses."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from eda_cli.dlq.audit import Entry, actor
from eda_cli.dlq.connect import open_audit
from eda_cli.dlq.render import table
from eda_cli.dlq.targets import every_target
from shared.settings import BrokerKind, Settings

SHORT_DIGEST = 12
_AGE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def since(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it names a zone), or an age: 30m, 12h, 7d."""
    age = _AGE.match(text.strip())
    if age:
        return datetime.now(UTC) - timedelta(**{_UNITS[age[2]]: int(age[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an ISO 8601 date or time nor an age such as 12h or 7d"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def audit_action(args: argparse.Namespace, settings: Settings) -> int:
    brokers = (
        [BrokerKind(args.broker)]
        if args.broker
        else sorted({target.broker for target in every_target(settings)}, key=_by_value)
    )
    entries: list[Entry] = []
    for broker in brokers:
        async with open_audit(settings, broker, actor(args.actor)) as auditor:
            entries.extend(await auditor.read())
    chosen = sorted(
        (entry for entry in entries if _wanted(entry, args.since, args.subscriber)),
        key=lambda entry: str(entry.get("at", "")),
    )
    if args.json:
        for entry in chosen:
            print(json.dumps(entry, sort_keys=True), flush=True)
        return 0
    rows = [
        [
            _short_time(entry.get("at")),
            str(entry.get("actor", "-")),
            str(entry.get("principal") or "-"),
            _action(entry),
            str(entry.get("subscriber") or "-"),
            str(entry.get("broker", "-")),
            _what(entry),
        ]
        for entry in chosen
    ]
    print(
        table(
            ["AT (UTC)", "ACTOR", "PRINCIPAL", "ACTION", "SUBSCRIBER", "BROKER", "LETTERS"], rows
        ),
        flush=True,
    )
    return 0


def _wanted(entry: Entry, start: datetime | None, subscriber: str | None) -> bool:
    if subscriber is not None and entry.get("subscriber") != subscriber:
        return False
    if start is None:
        return True
    try:
        return datetime.fromisoformat(str(entry.get("at"))) >= start
    except ValueError:
        return True  # an entry without a readable time is shown rather than hidden


def _action(entry: Entry) -> str:
    phase = entry.get("phase")
    return f"{entry.get('action', '?')} {phase}" if phase else str(entry.get("action", "?"))


def _what(entry: Entry) -> str:
    if "unreadable" in entry:
        return f"unreadable entry: {entry['unreadable']}"
    parts: list[str] = []
    if entry.get("phase") == "outcome":
        parts.append("done " + (", ".join(entry.get("done") or []) or "none"))
        failed = [str(item.get("id")) for item in entry.get("failed") or []]
        if failed:
            parts.append("failed " + ", ".join(failed))
    else:
        letters = [_letter(letter) for letter in entry.get("letters") or []]
        if letters:
            parts.append(", ".join(letters))
    refused = [_letter(letter) for letter in entry.get("refused") or []]
    if refused:
        parts.append("refused " + ", ".join(refused))
    if isinstance(entry.get("counts"), dict):
        counted = sum(count or 0 for count in entry["counts"].values())
        parts.append(f"counts of {len(entry['counts'])} subscribers ({counted} dead letters)")
    return "; ".join(parts) or "-"


def _letter(letter: Any) -> str:
    if not isinstance(letter, dict):
        return str(letter)
    return f"{letter.get('id')} sha256:{str(letter.get('sha256', ''))[:SHORT_DIGEST]}"


def _short_time(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)


def _by_value(kind: BrokerKind) -> str:
    return kind.value
