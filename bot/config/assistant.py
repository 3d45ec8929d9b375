"""assistant.yml, read once at start-up into typed sections and checked: the only reader of the file.

    config = AssistantConfig.load(settings.assistant_file)
    config.persona.company, config.knowledge_base.answer_confidence, config.team.hours ...

Every problem is reported, each on one line naming the file, the line and the key, and the file is
refused (ConfigError) if there is any: a value of the wrong kind or out of range, a required key
missing, a key given twice, and an unknown key (a typo would otherwise be silently ignored):

    assistant.yml:23: knowledge_base.answer_confidence: must be a number between 0 and 1 (got 'high')
    assistant.yml:41: crm.idle_timeout: unknown setting (did you mean idle_timeout_s?)

`frontdesk config check` prints the effective configuration (bot/config/check.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from bot.config.persona import Persona
from bot.config.rules import Node, Problems, read_section
from bot.config.sections import (CrmConfig, DecisionConfig, DetectionConfig, FeedbackConfig, FollowUpConfig, PrivacyConfig,
                                 ReportConfig, TeamConfig)
from bot.config.templates import WhatsAppConfig
from bot.errors import ConfigError

# section name in the file -> its type; the persona's keys sit at the top of the file
SECTIONS: dict[str, type] = {"knowledge_base": DecisionConfig, "report": ReportConfig, "crm": CrmConfig,
                             "team": TeamConfig, "feedback": FeedbackConfig, "detection": DetectionConfig,
                             "privacy": PrivacyConfig, "whatsapp": WhatsAppConfig, "follow_up": FollowUpConfig}
PERSONA_KEYS = tuple(f.name for f in dataclasses.fields(Persona))


class AssistantConfigError(ConfigError):
    """assistant.yml has problems; `problems` holds one line per problem (the message is all of them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AssistantConfig:
    persona: Persona
    knowledge_base: DecisionConfig = DecisionConfig()
    report: ReportConfig = ReportConfig()
    crm: CrmConfig = CrmConfig()
    team: TeamConfig = TeamConfig()
    feedback: FeedbackConfig = FeedbackConfig()
    detection: DetectionConfig = DetectionConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    whatsapp: WhatsAppConfig = WhatsAppConfig()
    follow_up: FollowUpConfig = FollowUpConfig()

    @classmethod
    def load(cls, path: Path) -> AssistantConfig:
        """Read and check the file; AssistantConfigError with every problem (file:line: key: message)."""
        label = _label(path)
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as error:
            raise AssistantConfigError([f"{label}: cannot read it ({error.strerror or error})"]) from None
        problems = Problems(label)
        try:
            root = _compose(source, problems)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise AssistantConfigError([f"{label}{line}: not valid YAML ({getattr(error, 'problem', None) or error})"]) from None
        return cls._read(root if root is not None else Node({}, 1), problems)

    @classmethod
    def from_dict(cls, data: dict[str, Any], label: str = "assistant.yml") -> AssistantConfig:
        """The same reading and checks for a dict (tests, tools); problems carry no line numbers."""
        return cls._read(Node.plain(data), Problems(label))

    @classmethod
    def _read(cls, root: Node, problems: Problems) -> AssistantConfig:
        if not isinstance(root.value, dict):
            problems.add(root.line, "", "must be a mapping of settings (assistant_name, company, contact, knowledge_base, ...)")
            raise AssistantConfigError(problems.lines)
        for key in root.value:
            if key not in SECTIONS and key not in PERSONA_KEYS:
                problems.add(root.where(key), key, f"unknown setting (known: {', '.join(PERSONA_KEYS + tuple(SECTIONS))})")
        persona_node = Node({k: v for k, v in root.value.items() if k in PERSONA_KEYS}, root.line, root.key_lines)
        persona = read_section(Persona, persona_node, "", problems)
        sections = {name: read_section(kind, root.value.get(name), name, problems) for name, kind in SECTIONS.items()}
        if problems.lines:
            raise AssistantConfigError(problems.lines)
        return cls(persona, **sections)

    def effective(self) -> dict[str, Any]:
        """Every setting with its value (defaults included), laid out as in the file."""
        persona = dataclasses.asdict(self.persona)
        return persona | {name: _plain(dataclasses.asdict(getattr(self, name))) for name in SECTIONS}


def section(name: str, data: dict[str, Any] | None = None) -> Any:
    """One section read and checked from a dict, e.g. `section("team", {"hours": {...}})` (tests, tools)."""
    problems = Problems("assistant.yml")
    value = read_section(SECTIONS[name], Node.plain(data or {}), name, problems)
    if problems.lines:
        raise AssistantConfigError(problems.lines)
    return value


def _label(path: Path) -> str:
    """The path as the user would type it: relative to the working folder when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _compose(source: str, problems: Problems) -> Node | None:
    """The YAML document as Nodes with their lines; a key given twice is a problem (YAML keeps the last)."""
    document = yaml.compose(source, Loader=yaml.SafeLoader)
    return None if document is None else _node(document, SafeConstructor(), problems, "")


def _node(node: yaml.Node, constructor: SafeConstructor, problems: Problems, path: str) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        values: dict[str, Node] = {}
        key_lines: dict[str, int | None] = {}
        for key_node, value_node in node.value:
            key = str(constructor.construct_object(key_node, deep=True))
            key_path = f"{path}.{key}" if path else key
            if key in values:
                problems.add(key_node.start_mark.line + 1, key_path, f"is given twice (also on line {key_lines[key]})")
            values[key] = _node(value_node, constructor, problems, key_path)
            key_lines[key] = key_node.start_mark.line + 1
        return Node(values, line, key_lines)
    if isinstance(node, yaml.SequenceNode):
        return Node([_node(item, constructor, problems, path) for item in node.value], line)
    return Node(constructor.construct_object(node, deep=True), line)
