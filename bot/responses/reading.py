"""Reading a responses catalogue file and checking it against the keys the code says.

`read_catalogue` never raises on bad content: it returns the responses it could
read and every `Problem` (path, line, message; errors and warnings), which
`Responses.load` and `frontdesk responses check` report.

What is checked: YAML syntax and shape (a key's value is text, a list of
variants, or a mapping of `text` and `sms`), keys said twice, keys the code
does not say (unknown) or says but the file lacks (missing), variables a
response may not use or writes wrongly (`{name!r}`, a lone `{`), and SMS
length: an `sms` variant, and the text of a response sent only by SMS, must
fit in 2 SMS segments (306 GSM-7 characters, or 134 when a character such as
’ or an emoji makes it UCS-2) with the persona filled in and the other
variables left empty; UCS-2 alone is a warning.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.kb import Problem
from bot.responses.keys import KEYS, PERSONA_VARIABLES, SMS_ONLY

FIELDS = ("text", "sms")  # a mapping with one of these is a response, any other mapping a topic
SMS_MAX_SEGMENTS = 2


@dataclass(frozen=True)
class Response:
    """One key's wording: its variants, and the variants SMS customers get instead (none: the same)."""

    key: str
    text: tuple[str, ...]
    sms: tuple[str, ...] = ()
    line: int = 1
    lines: tuple[int, ...] = ()  # the line of each of text + sms, for problems

    def wordings(self) -> list[tuple[str, int]]:
        """Every variant (text, then sms) with its line."""
        texts = self.text + self.sms
        return list(zip(texts, self.lines or (self.line,) * len(texts)))


def variables(template: str) -> list[str]:
    """The `{names}` in `template`; ValueError for braces that are not a plain variable."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"{error}: write {{name}} for a variable, or {{{{ and }}}} for a brace") from None
    names = []
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                             "is not a variable: write {name}, or {{ and }} for a brace")
        names.append(field)
    return names


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.responses: dict[str, Response] = {}
        self.topics: dict[str, int] = {}  # topic key -> line
        self.broken: set[str] = set()  # keys given but unreadable (their problem is reported already)
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, line, message, severity))

    def topic(self, node: yaml.MappingNode, prefix: str) -> None:
        for key_node, value in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or not key_node.value.strip():
                self.problem(line, "a key must be a name")
                continue
            key = prefix + key_node.value.strip()
            if key in self.responses or key in self.topics:
                self.problem(line, f"{key} is given twice: keep one")
                continue
            if isinstance(value, yaml.MappingNode) and not any(
                    isinstance(k, yaml.ScalarNode) and k.value in FIELDS for k, _ in value.value):
                self.topics[key] = line
                self.topic(value, key + ".")
            else:
                self.response(key, value, line)

    def texts(self, key: str, node: yaml.Node, line: int) -> list[tuple[str, int]] | None:
        """(text, line) of each variant in `node`; None (and a problem) when it is not text or a list of texts."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        texts = []
        for item in items:
            where = item.start_mark.line + 1
            if not isinstance(item, yaml.ScalarNode):
                self.problem(where, f"{key}: expected text, or a list of texts (variants)")
                return None
            if not item.value.strip():
                self.problem(where, f"{key}: empty text")
                return None
            texts.append((item.value.strip(), where))
        if not texts:
            self.problem(line, f"{key}: an empty list of variants")
            return None
        return texts

    def response(self, key: str, node: yaml.Node, line: int) -> None:
        fields = {"text": node}
        if isinstance(node, yaml.MappingNode):
            fields = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            for name in sorted(set(fields) - set(FIELDS)):
                self.problem(line, f"{key}: unknown field {name!r} (a response has text and sms)")
        text = self.texts(key, fields["text"], line) if "text" in fields else None
        if "text" not in fields:
            self.problem(line, f"{key}: has no text (sms is only the SMS variant)")
        sms = self.texts(key, fields["sms"], line) if "sms" in fields else []
        if text is None or sms is None:
            self.broken.add(key)
            return
        self.responses[key] = Response(key, tuple(t for t, _ in text), tuple(t for t, _ in sms), line,
                                       tuple(where for _, where in text + sms))


def _missing(reader: _Reader) -> None:
    """A problem for each key the code says that the file lacks (one per topic missing as a whole), at the line of
    its nearest topic in the file."""
    missing = sorted(set(KEYS) - set(reader.responses) - set(reader.topics) - reader.broken)
    topics: dict[str, list[str]] = {}
    for key in missing:
        topics.setdefault(key.split(".")[0], []).append(key)
    for topic, keys in topics.items():
        if topic not in reader.topics and len(keys) > 1:
            reader.problem(1, f"topic {topic} is missing: the assistant says {', '.join(keys)}")
            continue
        for key in keys:
            parts = key.split(".")
            line = next((reader.topics[".".join(parts[:end])] for end in range(len(parts) - 1, 0, -1)
                         if ".".join(parts[:end]) in reader.topics), 1)
            reader.problem(line, f"{key} is missing: the assistant says it")


def _check_sms(reader: _Reader, response: Response, persona: dict[str, str]) -> None:
    from bot.vendors import segments

    sent = response.text + response.sms if response.key in SMS_ONLY else response.sms
    for text, line in response.wordings():
        if text not in sent:
            continue
        try:
            sample = text.format_map({**{name: "" for name in variables(text)}, **persona})
        except ValueError:
            continue  # reported with the variables
        encoding, count = segments(sample)
        if count > SMS_MAX_SEGMENTS:
            reader.problem(line, f"{response.key}: the SMS text is {count} segments ({len(sample)} characters "
                           f"with the persona filled in); at most {SMS_MAX_SEGMENTS}: 306 characters, 134 with ’ or emoji")
        elif encoding != "GSM-7":
            odd = next(c for c in sample if segments(c)[0] != "GSM-7")
            reader.problem(line, f"{response.key}: {odd!r} is not in the SMS alphabet, so the SMS is sent as "
                           "UCS-2 (70 characters a segment instead of 160)", "warning")


def _check(reader: _Reader, persona: dict[str, str]) -> None:
    """Add the problems of what was read, against KEYS and the persona's variables."""
    _missing(reader)
    for key in sorted(set(reader.topics) & set(KEYS)):
        reader.problem(reader.topics[key], f"{key}: expected text, or a list of texts (variants)")
    for key, response in reader.responses.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1)
            reader.problem(response.line, f"unknown key {key}: the assistant never says it"
                           + (f" (did you mean {close[0]}?)" if close else ""))
            continue
        allowed = KEYS[key] + PERSONA_VARIABLES
        for text, line in response.wordings():
            try:
                names = variables(text)
            except ValueError as error:
                reader.problem(line, f"{key}: {error}")
                continue
            for name in dict.fromkeys(n for n in names if n not in allowed):
                reader.problem(line, f"{key}: unknown variable {{{name}}}; it can use "
                               + ", ".join(f"{{{n}}}" for n in allowed))
        _check_sms(reader, response, persona)


def read_catalogue(path: Path, persona: dict[str, str]) -> tuple[dict[str, Response], list[Problem]]:
    """The responses in `path` and its problems, sorted by line; `persona` fills the persona's variables
    for the SMS length check."""
    reader = _Reader(str(path))
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except OSError as error:
        reader.problem(1, f"cannot read it ({error.strerror or error})")
        return {}, reader.problems
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reader.problem(mark.line + 1 if mark else 1, f"not valid YAML: {getattr(error, 'problem', None) or error}")
        return {}, reader.problems
    if not isinstance(root, yaml.MappingNode):
        reader.problem(1, "expected topics and keys (a YAML mapping)")
        return {}, reader.problems
    reader.topic(root, "")
    _check(reader, persona)
    return reader.responses, sorted(reader.problems, key=lambda p: p.line)
