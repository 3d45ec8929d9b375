"""What is wrong with an entry's front matter, said at the line an editor has to change, with the fix.

YAML's own messages point where its parser gave up, which for an unclosed
quote can be many lines further on ("found unexpected end of stream" at the
last line), and name no remedy ("mapping values are not allowed here" for an
unquoted ': ' in a title). `yaml_problem` reads the front matter line by
line for the usual mistakes (a ': ' or a leading symbol in unquoted text, an
unclosed quote, a quote inside quoted text) and reports the first one that
explains YAML's error. `id_problem` refuses ids YAML reads as something
other than text (`id: no` is the boolean false, `id: 0123` the number 83).
"""

from __future__ import annotations

import json
import re
from datetime import date

import yaml

# `key: value` at the top level, or `- value` in a list (the front matter's two kinds of line)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*):(?:\s+(.*))?$")
_ITEM_LINE = re.compile(r"^\s+-\s+(.*)$")
# text that a YAML 1.2 reader (most other tools) takes for a number although PyYAML keeps it as text: 1e3, 1_000
_NUMBER_LIKE = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?$")
_ITEM_NAMES = {"questions": "the question", "tags": "the tag", "links": "the link"}


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (which is JSON's string syntax)."""
    return json.dumps(text, ensure_ascii=False)


def colon_hint(what: str, text: str) -> str:
    """The fix for unquoted text with ': ' in it, which YAML reads as a field (or a list item as a mapping)."""
    return f"{what} contains ': ', which YAML reads as a new field: put {what} in quotes, e.g. {quoted(text)}"


def _value_error(value: str) -> yaml.YAMLError | None:
    """Why YAML cannot read `value` as one field's value on its own, or None when it can."""
    try:
        yaml.safe_load(f"x: {value}")
    except yaml.YAMLError as error:
        return error
    return None


def _closing_line(lines: list[str], start: int, quote: str) -> int | None:
    """Index of the first line after `start` that contains `quote` (where YAML would end the quoted text)."""
    return next((i for i in range(start + 1, len(lines)) if quote in lines[i]), None)


def _line_hint(lines: list[str], index: int, field: str, error_index: int, context_index: int | None) -> str | None:
    """The mistake on `lines[index]` that explains a YAML error at `error_index`, or None."""
    line = lines[index]
    key_match, item_match = _KEY_LINE.match(line), _ITEM_LINE.match(line)
    value = (key_match.group(2) if key_match else item_match.group(1) if item_match else None) or ""
    value = value.strip()
    if not value:
        return None
    error = _value_error(value)
    if error is None:
        return None
    what = f"the {key_match.group(1)}" if key_match else _ITEM_NAMES.get(field, "the item")
    quote = value[0]
    if quote in "\"'":
        if "end of stream" in str(getattr(error, "problem", "")):  # the quote is not closed on this line
            closes = _closing_line(lines, index, quote)
            if context_index != index and closes != error_index:
                return None  # a quoted text over several lines, closed where YAML expected: not this line
            return f"the {quote} that opens {what} is not closed: end {what} with {quote} on the same line"
        text = value[1:-1] if len(value) > 1 and value.endswith(quote) else value[1:]
        fixed = quoted(text) if quote == "'" else "'" + text.replace("'", "''") + "'"
        return f"{what} has a {quote} inside its quotes, which ends the text early: write it as {fixed}"
    if index != error_index:
        return None
    if "mapping values" in str(getattr(error, "problem", "")):
        return colon_hint(what, value)
    return f"YAML cannot read {what} as written ({getattr(error, 'problem', None) or error}): put it in quotes, e.g. {quoted(value)}"


def yaml_problem(front: str, error: yaml.YAMLError, first_line: int = 2) -> tuple[int, str]:
    """(file line, message) for front matter YAML could not read; `first_line` is the file line of its first line."""
    mark = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    reason = getattr(error, "problem", None) or str(error).splitlines()[0]
    lines = front.split("\n")
    if mark is None:
        return first_line - 1, f"front matter is not valid YAML: {reason}"
    error_index = min(mark.line, len(lines) - 1)
    context_index = context.line if context is not None else None
    field = ""
    for index in range(error_index + 1):
        key = _KEY_LINE.match(lines[index])
        field = key.group(1) if key else field
        hint = _line_hint(lines, index, field, error_index, context_index)
        if hint:
            return first_line + index, f"front matter is not valid YAML: {hint}"
    return first_line + mark.line, f"front matter is not valid YAML: {reason}"


def _read_as(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, date):
        return "a date"
    return f"a {type(value).__name__}"


def id_problem(value: object, raw: str) -> str | None:
    """Why the front matter's `id` (loaded as `value`, written as `raw` after 'id:') is not a usable id, or None.

    An id must be text in YAML's eyes: `id: no` (false), `id: 0123` (83) and
    `id: 1e3` (text to PyYAML, 1000.0 to YAML 1.2 readers) would not be the id
    the editor wrote, so each is an error that shows the quoted form.
    """
    raw = raw.split(" #", 1)[0].strip()
    if value is None:
        return "'id' is empty: write the id, or remove the line to use the file name"
    if isinstance(value, str) and not (raw and raw[0] not in "\"'" and _NUMBER_LIKE.match(value)):
        return None
    if isinstance(value, (str, bool, int, float, date)):
        read_as = "a number" if isinstance(value, str) else _read_as(value)
        return f"'id' must be text, but id: {raw} is read as {read_as}: put it in quotes (id: {quoted(raw)})"
    return f"'id' must be text, got {value!r}"
