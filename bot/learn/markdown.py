"""Add a question to an entry's markdown file, or take one out again, changing nothing else in the file.

The front matter is edited as text, never re-written from YAML: the new question is one line after the last item
of the `questions:` list, with that item's indentation and dash, so the file keeps its comments, quotes, order and
line endings and `git diff` shows one added line. The result is read back; if the questions it holds are not the
old ones plus the new one (an unusual layout, such as a `[a, b]` list), nothing is written and `EditError` says why.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml

from bot.errors import FrontdeskError

_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?P<gap>[ \t]+)\S")
_KEY = re.compile(r"^questions[ \t]*:[ \t]*(#.*)?$")


class EditError(FrontdeskError):
    """The file cannot be edited as asked; the message names the file and the reason, in one line."""


def digest(path: Path) -> str:
    """sha256 of the file's bytes, as `Entry.digest` has it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _questions(text: str) -> list[str] | None:
    """The front matter's `questions`, or None when the text has no readable front matter."""
    parts = re.split(r"^---[ \t]*\r?$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3 or parts[0].strip():
        return None
    try:
        data = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return None
    questions = (data or {}).get("questions") if isinstance(data, dict) else None
    return [str(q) for q in questions] if isinstance(questions, list) else None


def _as_yaml(text: str) -> str:
    """The question as a YAML list item's value: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if yaml.safe_load(f"- {text}") == [text] and "#" not in text and not text.startswith(("'", '"')):
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _last_item_line(lines: list[str]) -> int | None:
    """Index of the line after which a new question goes: the last line of the `questions:` list's last item."""
    if not lines or lines[0].rstrip("\r\n").strip() != "---":
        return None
    key = next((i for i, line in enumerate(lines[1:], 1) if _KEY.match(line.rstrip("\r\n"))), None)
    if key is None:
        return None
    last, indent = None, None
    for i in range(key + 1, len(lines)):
        line = lines[i].rstrip("\r\n")
        if line.strip() == "---":
            break
        item = _ITEM.match(line)
        if item and (indent is None or item.group("indent") == indent):
            last, indent = i, item.group("indent")
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        elif last is not None and indent is not None and len(line) - len(line.lstrip()) > len(indent):
            last = i  # the item continues on this line
        else:
            break
    return last


def add_question(path: Path, question: str) -> str:
    """Append `question` to the entry's `questions:`; returns the file's new digest. EditError, file untouched, when
    the list cannot be found or the edit would read back as anything but the old questions plus this one."""
    question = " ".join(question.split())
    raw = path.read_bytes().decode("utf-8")
    lines = raw.splitlines(keepends=True)
    before = _questions(raw)
    at = _last_item_line(lines)
    if before is None or at is None:
        raise EditError(f"{path}: no `questions:` list written one item per line (`  - ...`): add the question by hand")
    if question in before:
        raise EditError(f"{path}: already has the question {question!r}")
    item = _ITEM.match(lines[at]) or _ITEM.match(next(line for line in reversed(lines[:at + 1]) if _ITEM.match(line)))
    ending = "\r\n" if lines[at].endswith("\r\n") else "\n"
    if not lines[at].endswith(("\n", "\r")):
        lines[at] += ending
    lines.insert(at + 1, f"{item.group('indent')}-{item.group('gap')}{_as_yaml(question)}{ending}")
    edited = "".join(lines)
    if _questions(edited) != [*before, question]:
        raise EditError(f"{path}: adding the question would change more than the list: add it by hand")
    path.write_bytes(edited.encode("utf-8"))
    return digest(path)


def remove_question(path: Path, question: str) -> str:
    """Take out the line `add_question` wrote for `question`; returns the new digest. EditError when it is not
    there as one line of its own (edited since), file untouched."""
    raw = path.read_bytes().decode("utf-8")
    lines = raw.splitlines(keepends=True)
    before = _questions(raw) or []
    for i, line in enumerate(lines):
        item = _ITEM.match(line)
        if item and line.rstrip("\r\n")[item.end() - 1:] in (question, json.dumps(question, ensure_ascii=False)):
            edited = "".join(lines[:i] + lines[i + 1:])
            wanted = list(before)
            wanted.remove(question)
            if _questions(edited) == wanted:
                path.write_bytes(edited.encode("utf-8"))
                return digest(path)
    raise EditError(f"{path}: the question {question!r} is not in the file as it was added: take it out by hand")
