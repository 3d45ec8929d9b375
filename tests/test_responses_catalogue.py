"""What the assistant says to customers lives in the responses catalogue, not in Python.

The scan reads every module of bot/, actions/ and channels/ (AST) for sentence-like string literals:
a string or f-string (a placeholder counts as a word) of 3 words or more that starts with a capital
letter or a placeholder and ends with `.`, `?` or `!`, or speaks to someone (I'm, you, your, we ...).
Not counted, because no customer reads them:

- docstrings, and the arguments of logging calls (`logger.*`, `logging.*`): operators' logs;
- anything inside a `raise` statement: errors for operators, agents and API callers (HTTP reasons);
- the modules in NOT_FOR_CUSTOMERS, whose every reader is on the team, and the few literals in
  NOT_FOR_CUSTOMERS_LITERALS, each with its reader.

Also: no module names the company ("S-Club", even in a comment: the persona in assistant.yml does),
and the keys the code asks for are exactly the keys it declares (bot/responses/keys.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.responses import KEYS, read_catalogue
from bot.responses.catalogue import persona_values
from bot.config import Persona
from tests.conftest import PROJECT_DIR

NOT_FOR_CUSTOMERS = {
    "bot/ops/": "the operators' terminal: the CLI, the supervisor, training, the conversation-test runner",
    "bot/agents/": "agent accounts and their commands",
    "bot/report/": "the team's service report",
    "bot/responses/": "the catalogue's own checks, which speak to editors",
    "bot/handoff/summary.py": "the handoff summary agents read",
    "bot/privacy/commands.py": "`frontdesk privacy`, the operators' erasure, export and purge commands",
    "bot/privacy/export.py": "the subject-access export file the operator hands over (a document, not a chat message)",
    "channels/agent_": "the agent desk, its API and its sign-in",
}
NOT_FOR_CUSTOMERS_LITERALS = {
    ("channels/telegram.py", "Not sent to the customer: {}."): "said to the agents' Telegram group",
}
PERSONAL = re.compile(r"\b(?:I|I'm|I'll|I've|I'd|me|my|we|our|us|you|your|you're|you'll|you've)\b")
KEY_LIKE = re.compile(r"^[a-z_]+(?:\.[a-z_]+)+$")


def sources() -> list[Path]:
    return sorted(p for package in ("bot", "actions", "channels") for p in (PROJECT_DIR / package).rglob("*.py"))


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_DIR))


def literal_text(node: ast.AST) -> str | None:
    """The text of a string or f-string literal, placeholders as `{}`; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def is_sentence(text: str) -> bool:
    text = text.strip()
    if len(text.split()) < 3 or not (text[0].isupper() or text.startswith("{}")):
        return False
    return text.endswith((".", "?", "!")) or bool(PERSONAL.search(text))


def excluded_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes no customer reads: docstrings, logging calls' arguments, raise statements (all inside)."""
    excluded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                excluded.add(id(first.value))
        logging_call = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id in ("logger", "logging"))
        if logging_call or isinstance(node, ast.Raise):
            excluded.update(id(child) for child in ast.walk(node))
    return excluded


def sentences(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    excluded = excluded_nodes(tree)
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in ast.walk(n) if v is not n}
    found = []
    for node in ast.walk(tree):
        text = literal_text(node)
        if text is None or id(node) in excluded or id(node) in inside_fstrings:
            continue
        if is_sentence(text):
            found.append((node.lineno, text))
    return found


def test_no_customer_facing_sentence_is_left_in_python() -> None:
    left = []
    for path in sources():
        name = relative(path)
        if name.startswith(tuple(NOT_FOR_CUSTOMERS)):
            continue
        left += [f"{name}:{line}: {text!r}" for line, text in sentences(path)
                 if (name, text) not in NOT_FOR_CUSTOMERS_LITERALS]
    assert left == [], "move these to responses/en.yml and say them by key (docs/editors-guide.md)"


def test_the_scan_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    source = '''
"""A docstring. You read it."""
import logging
logger = logging.getLogger(__name__)
GREETING = "Hi there! How can I help?"
def reply(name):
    """Docstring too."""
    logger.info("The customer %s said hello.", name)
    if not name:
        raise ValueError("You must give a name.")
    return f"Thanks, {name}. Your booking is confirmed."
PATTERN = "^you'd like to (?P<rest>.+)$"
LOWER = "cannot read the persona file"
'''
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [text for _, text in sentences(path)] == ["Hi there! How can I help?", "Thanks, {}. Your booking is confirmed."]


def test_no_module_names_the_company() -> None:
    assert [relative(p) for p in sources() if "S-Club" in p.read_text()] == []


def _keys_in(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """Strings in `path` that name a response (dotted, of a known topic), and the literal first arguments of its
    `.say()`, `.button()` and `.wordings()` calls, with their lines."""
    tree = ast.parse(path.read_text(), filename=str(path))
    topics = {key.split(".")[0] for key in KEYS}
    named = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and KEY_LIKE.match(n.value) and n.value.split(".")[0] in topics}
    asked = [(n.lineno, n.args[0].value) for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("say", "button", "wordings")
             and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)]
    return named, asked


def test_every_key_the_code_asks_for_is_declared_and_every_declared_key_is_said() -> None:
    said: set[str] = set()
    unknown = []
    for path in sources():
        if relative(path) == "bot/responses/keys.py":
            continue
        named, asked = _keys_in(path)
        said |= named
        unknown += [f"{relative(path)}:{line}: {key}" for line, key in asked if key not in KEYS]
    assert unknown == []  # say() would raise KeyError: declare the key in bot/responses/keys.py and the catalogues
    assert sorted(set(KEYS) - said) == []  # a declared key nothing says: remove it there and from the catalogues


def test_no_key_is_named_like_a_field_of_a_response() -> None:
    assert [key for key in KEYS if key.split(".")[-1] in ("text", "sms")] == []


def test_every_shipped_catalogue_checks_clean() -> None:
    persona = persona_values(Persona.load(PROJECT_DIR / "assistant.yml"))
    files = sorted((PROJECT_DIR / "responses").glob("*.yml"))
    assert files, "responses/en.yml is missing"
    for path in files:
        responses, problems = read_catalogue(path, persona)
        assert [str(p) for p in problems] == [] and set(responses) == set(KEYS)
