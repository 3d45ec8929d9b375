"""What a setting in assistant.yml may hold, and how a section is read and checked against its dataclass.

A section is a frozen dataclass whose fields carry their rule (`setting(default, SHARE)`); a field
without a default is required. `read_section` turns a `Node` (a YAML value that remembers its line)
into the dataclass, and reports each problem once, naming the key and the line:

    assistant.yml:23: knowledge_base.answer_confidence: must be a number between 0 and 1 (got 'high')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class Node:
    """A value from assistant.yml and the line it is on (None when it came from Python, e.g. a test's dict).
    A mapping's value is {key: Node}; a list's is [Node]; `key_lines` says where each key is written."""

    value: Any
    line: int | None = None
    key_lines: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def plain(cls, value: Any) -> Node:
        if isinstance(value, dict):
            return cls({str(k): cls.plain(v) for k, v in value.items()}, None, {str(k): None for k in value})
        if isinstance(value, (list, tuple)):
            return cls([cls.plain(v) for v in value])
        return cls(value)

    def where(self, key: str) -> int | None:
        """The line of `key` in this mapping (else of the mapping itself)."""
        return self.key_lines.get(key) or self.line


class Problems:
    """The problems found in one file, each a line `file:line: key: message`."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.lines: list[str] = []

    def add(self, line: int | None, key: str, message: str) -> None:
        where = f"{self.label}:{line}" if line else self.label
        self.lines.append(f"{where}: {key}: {message}" if key else f"{where}: {message}")


class Invalid(ValueError):
    """A value breaks its rule; the message says what the rule wants."""


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value.isoformat() if isinstance(value, dt.date) else value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _number_where(ok: Callable[[float], bool], wanted: str) -> Callable[[Any], float]:
    """A rule: a number (not a flag, not text) for which `ok` holds; else Invalid('must be a number <wanted>')."""
    def rule(value: Any) -> float:
        number = _number(value)
        if number is None or not ok(number):
            raise Invalid(f"must be a number {wanted}")
        return number
    return rule


share = _number_where(lambda n: 0.0 <= n <= 1.0, "between 0 and 1")  # probabilities, similarities, rates


def at_least(low: float) -> Callable[[Any], float]:
    return _number_where(lambda n: n >= low, f"of at least {low:g}")


def above(low: float) -> Callable[[Any], float]:
    return _number_where(lambda n: n > low, f"above {low:g}")


def whole(low: int) -> Callable[[Any], int]:
    def rule(value: Any) -> int:
        number = _number(value)
        if number is None or number != int(number) or number < low:
            raise Invalid(f"must be a whole number of at least {low}")
        return int(number)
    return rule


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return value


def text(value: Any) -> str:
    """Text; a number is taken as its digits (HubSpot's pipeline `0`)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid("must be text")
    return str(value)


def one_of(*options: str) -> Callable[[Any], str]:
    def rule(value: Any) -> str:
        if value not in options:
            raise Invalid(f"must be one of {', '.join(options)}")
        return value
    return rule


def words(value: Any) -> str:
    """Text that is not empty (a name, a phone number)."""
    result = text(value).strip()
    if not result:
        raise Invalid("must not be empty")
    return result


def zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("must be a time zone like Europe/London") from None
    return str(value)


def _clock(value: str) -> dt.time:
    hours, minutes = value.strip().split(":")
    if hours == "24" and minutes == "00":
        return dt.time.max
    return dt.time(int(hours), int(minutes))


def opening_hours(span: str) -> tuple[dt.time, dt.time] | None:
    """'08:00-20:00' -> (opens, closes); 'closed' or '' -> None. Invalid with the reason otherwise."""
    if not span or span.lower() == "closed":
        return None
    start, _, end = span.partition("-")
    try:
        opens, closes = _clock(start), _clock(end)
    except ValueError:
        raise Invalid("must be opening hours like 08:00-20:00, or closed") from None
    if closes <= opens:
        raise Invalid("closes before it opens")
    return opens, closes


def read_value(rule: Callable[[Any], Any], node: Node, key: str, problems: Problems) -> Any:
    """`rule(value)`, or None with the problem reported."""
    try:
        return rule(node.value)
    except Invalid as error:
        problems.add(node.line, key, f"{error} (got {_got(node.value)})")
        return None


def week_hours(node: Node, key: str, problems: Problems) -> dict[str, str] | None:
    """{day: '08:00-20:00' | 'closed'}; a day left out is closed."""
    if not isinstance(node.value, dict):
        problems.add(node.line, key, f"must map days of the week to hours like 08:00-20:00 (got {_got(node.value)})")
        return None
    hours = {}
    for day, span in node.value.items():
        if day.lower() not in DAYS:
            problems.add(node.where(day), f"{key}.{day}", "is not a day of the week (monday ... sunday)")
            continue
        value = read_value(lambda v: "closed" if v is None else text(v), span, f"{key}.{day}", problems)
        if value is None:
            continue
        try:
            opening_hours(value)
        except Invalid as error:
            problems.add(span.line or node.where(day), f"{key}.{day}", f"{error} (got {value!r})")
            continue
        hours[day.lower()] = value
    return hours


def dates(node: Node, key: str, problems: Problems) -> tuple[str, ...] | None:
    """A list of days (YYYY-MM-DD), as ISO text."""
    if not isinstance(node.value, list):
        problems.add(node.line, key, f"must be a list of dates like 2026-12-25 (got {_got(node.value)})")
        return None
    found = []
    for item in node.value:
        value = item.value.isoformat() if isinstance(item.value, dt.date) else str(item.value)
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            problems.add(item.line, key, f"must be dates like 2026-12-25 (YYYY-MM-DD) (got {_got(item.value)})")
            continue
        found.append(value)
    return tuple(found)


def setting(default: Any = dataclasses.MISSING, rule: Callable[..., Any] = text, *, nested: bool = False) -> Any:
    """A section field with its rule; no default: required. `nested`: the rule reads the Node itself
    (a sub-section, hours, dates) and reports its own problems."""
    metadata = {"rule": rule, "nested": nested}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def read_section(cls: type, node: Node | None, key: str, problems: Problems) -> Any:
    """`cls` from the mapping at `node` (None: every default), or None when something is wrong (reported)."""
    node = node if node is not None and node.value is not None else Node({}, node.line if node else None)
    if not isinstance(node.value, dict):
        problems.add(node.line, key, f"must be a mapping of settings (got {_got(node.value)})")
        return None
    known = {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("rule")}
    before, values = len(problems.lines), {}
    for name in node.value:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
            problems.add(node.where(name), f"{key}.{name}" if key else name, f"unknown setting ({hint})")
    for name, spec in known.items():
        path = f"{key}.{name}" if key else name
        if name not in node.value:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                problems.add(node.line, path, "is required")
            continue
        child = node.value[name]
        child.line = node.key_lines.get(name) or child.line or node.line  # problems are named at the key's line
        if spec.metadata["nested"]:
            values[name] = spec.metadata["rule"](child, path, problems)
        else:
            values[name] = read_value(spec.metadata["rule"], child, path, problems)
    if len(problems.lines) > before:
        return None
    section = cls(**values)
    for name, message in getattr(section, "problems", lambda: [])():
        problems.add(node.where(name), f"{key}.{name}" if key else name, message)
    return section if len(problems.lines) == before else None


def sub_section(cls: type) -> Callable[[Node, str, Problems], Any]:
    """The rule of a field that is itself a section (persona's `contact`)."""
    return lambda node, key, problems: read_section(cls, node, key, problems)
