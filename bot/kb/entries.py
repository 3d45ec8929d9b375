"""Read knowledge-base entries (markdown with YAML front matter) and report problems.

One entry per `<id>.md` file anywhere under the knowledge-base folder:

    ---
    title: Reset your password            # required
    questions:                            # required, at least one
      - I forgot my password
    paraphrase: you'd like to reset your password
    sms: Short answer for SMS (at most 320 characters)
    tags: [account]
    links: [../account/cant_log_in.md]
    ---
    The answer, in markdown.

`load_entries` never raises on bad content: a file that cannot be read as an
entry is left out and described by a `Problem` with its path, the line to
change and, for YAML mistakes, the fix (bot/kb/front_matter.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.kb.front_matter import colon_hint, id_problem, yaml_problem

SMS_MAX_CHARS = 320
KNOWN_FIELDS = {"title", "questions", "id", "tags", "paraphrase", "sms", "links"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Entry:
    """One FAQ entry. `path` is relative to the knowledge-base folder."""

    id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    path: str
    paraphrase: str | None = None
    sms: str | None = None
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    digest: str = field(default="", compare=False)  # sha256 of the file's bytes


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in a file, printed as `path:line: message`."""

    path: str
    line: int
    message: str
    severity: str = "error"  # or "warning": reported, but the entry is still used

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


@dataclass(frozen=True)
class KnowledgeBaseContent:
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int:
    """1-based number of the first line at or after `start` containing `pattern` (else start+1)."""
    for number, line in enumerate(lines[start:], start=start + 1):
        if pattern in line:
            return number
    return start + 1


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line number where the body starts) or None if there is none."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    return None


def _string_list(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def parse_entry(raw: bytes, rel_path: str) -> tuple[Entry | None, list[Problem]]:
    """Parse one file's bytes; return the entry (None if unusable) and its problems."""
    problems: list[Problem] = []

    def problem(line: int, message: str, severity: str = "error") -> None:
        problems.append(Problem(rel_path, line, message, severity))

    try:
        text = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        problem(raw[: error.start].count(b"\n") + 1, "file is not valid UTF-8")
        return None, problems
    lines = text.split("\n")
    split = _split_front_matter(text.lstrip("\ufeff"))
    if split is None:
        problem(1, "no front matter: the file must start with a '---' line, the YAML fields, then '---'")
        return None, problems
    front, body, body_line = split
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError as error:
        problem(*yaml_problem(front, error))
        return None, problems
    if not isinstance(meta, dict):
        problem(2, "front matter must be YAML fields (key: value)")
        return None, problems

    for key in meta:
        if key not in KNOWN_FIELDS:
            problem(_line_of(lines, f"{key}:"), f"unknown field '{key}' (known: {', '.join(sorted(KNOWN_FIELDS))})", "warning")

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problem(_line_of(lines, "title:") if "title" in meta else 1, "'title' is required and must be text")

    questions = _string_list(meta.get("questions"))
    read_as_fields = [q for q in meta.get("questions") or [] if isinstance(q, dict) and len(q) == 1] \
        if isinstance(meta.get("questions"), list) else []
    if "questions" not in meta:
        problem(1, "'questions' is required: list the ways customers ask this")
    elif read_as_fields:  # `- Note: how do I ...` is a mapping in YAML's eyes
        for item in read_as_fields:
            [(key, value)] = item.items()
            problem(_line_of(lines, f"{key}:"), colon_hint('the question', f'{key}: {value}'))
    elif not questions or not any(q.strip() for q in questions):
        problem(_line_of(lines, "questions:"), "'questions' must be a non-empty list of text")
    else:
        seen: set[str] = set()
        for q in questions:
            key = normalise_question(q)
            if not key:
                problem(_line_of(lines, "questions:"), "empty question in 'questions'")
            elif key in seen:
                problem(_line_of(lines, q.strip()), f"question repeated in this entry: {q.strip()!r}", "warning")
            seen.add(key)

    entry_id = meta.get("id", Path(rel_path).stem)
    id_line = next((n for n, line in enumerate(lines, start=1) if line.startswith("id:")), 1)
    not_text = id_problem(entry_id, lines[id_line - 1][3:]) if "id" in meta else None
    if not_text:
        problem(id_line, not_text)
    elif not ID_PATTERN.match(entry_id):
        problem(id_line, f"'id' must be letters, digits, '_', '-' or '.', got {entry_id!r}")

    optional_text = {}
    for name in ("paraphrase", "sms"):
        value = meta.get(name)
        if value is not None and not isinstance(value, str):
            problem(_line_of(lines, f"{name}:"), f"'{name}' must be text")
            value = None
        optional_text[name] = value.strip() if value else None
    if optional_text["sms"] and len(optional_text["sms"]) > SMS_MAX_CHARS:
        problem(_line_of(lines, "sms:"), f"'sms' is {len(optional_text['sms'])} characters; keep it to {SMS_MAX_CHARS}")

    tags = _string_list(meta.get("tags", [])) if meta.get("tags") is not None else []
    if tags is None:
        problem(_line_of(lines, "tags:"), "'tags' must be a list of text")
    links = _string_list(meta.get("links", [])) if meta.get("links") is not None else []
    if links is None:
        problem(_line_of(lines, "links:"), "'links' must be a list of relative paths or URLs")

    answer = body.strip()
    if not answer:
        problem(body_line if body_line <= len(lines) else len(lines), "the answer is empty: write it below the front matter")

    if any(p.severity == "error" for p in problems):
        return None, problems
    entry = Entry(
        id=str(entry_id),
        title=title.strip(),
        questions=tuple(dict.fromkeys(q.strip() for q in questions if q.strip())),
        answer=answer,
        path=rel_path,
        paraphrase=optional_text["paraphrase"],
        sms=optional_text["sms"],
        tags=tuple(tags or ()),
        links=tuple(links or ()),
        digest=hashlib.sha256(raw).hexdigest(),
    )
    return entry, problems


def normalise_question(text: str) -> str:
    """Lower-case words only: 'How do I reset my password?' == 'how do i reset my password'."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _is_relative_link(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and not target.startswith(("#", "/"))


def _check_links(root: Path, entry: Entry, lines: list[str]) -> list[Problem]:
    problems = []
    targets = list(entry.links) + MARKDOWN_LINK.findall(entry.answer)
    for target in targets:
        if not _is_relative_link(target):
            continue
        resolved = (root / entry.path).parent / target.split("#", 1)[0]
        if not resolved.exists():
            problems.append(Problem(entry.path, _line_of(lines, target), f"broken link: {target} (no such file)"))
    return problems


def kb_files(root: Path) -> list[Path]:
    """Every entry file under `root`, in a stable order (hidden folders skipped)."""
    return sorted(
        p for p in root.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_entries(root: Path) -> KnowledgeBaseContent:
    """Parse every entry under `root`, then check ids, questions and links across entries.

    Entries with errors are left out; the rest are returned even when others fail.
    A missing or empty folder is a valid, empty knowledge base.
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    file_lines: dict[str, list[str]] = {}
    if not root.is_dir():
        return KnowledgeBaseContent((), ())
    for path in kb_files(root):
        rel = path.relative_to(root).as_posix()
        raw = path.read_bytes()
        entry, found = parse_entry(raw, rel)
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
            file_lines[rel] = raw.decode("utf-8").split("\n")

    by_id: dict[str, Entry] = {}
    usable: list[Entry] = []
    for entry in entries:
        if entry.id in by_id:
            problems.append(Problem(entry.path, 1, f"duplicate id '{entry.id}' (also {by_id[entry.id].path})"))
            continue
        by_id[entry.id] = entry
        usable.append(entry)

    owner_of: dict[str, Entry] = {}
    for entry in usable:
        lines = file_lines[entry.path]
        problems.extend(_check_links(root, entry, lines))
        for question in entry.questions:
            key = normalise_question(question)
            other = owner_of.setdefault(key, entry)
            if other is not entry:
                problems.append(
                    Problem(entry.path, _line_of(lines, question), f"question {question!r} is also in {other.path}: keep it in one entry")
                )
    return KnowledgeBaseContent(tuple(usable), tuple(sorted(problems)))


def few_questions(root: Path, entries: tuple[Entry, ...], enough: int) -> list[Problem]:
    """A warning (`kb check`) for each entry with fewer than `enough` questions.

    Such an entry is answered only on stronger evidence (bot/kb/decide.py's few-questions
    thresholds), so customers are more often asked to confirm it: see docs/editors-guide.md.
    """
    warnings = []
    for entry in entries:
        count = len(entry.questions)
        if count >= enough:
            continue
        try:
            lines = (root / entry.path).read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            lines = []
        warnings.append(Problem(
            entry.path, _line_of(lines, "questions:"),
            f"{count} question{'s' if count != 1 else ''}: an entry with fewer than {enough} is more often offered as a "
            f"choice than answered; add the ways customers ask for it (docs/editors-guide.md, How many questions)",
            "warning"))
    return warnings
