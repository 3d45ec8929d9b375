"""`whatsapp:` in assistant.yml: the 24-hour window and the approved templates sent outside it.

WhatsApp delivers a free-form message only within `window_s` (24 hours) of the customer's last message;
outside it only an approved template, sent by its Content SID (`HX` + 32 hex characters) with
`ContentVariables`. Each purpose (an agent's reply, a handoff update, the survey, a follow-up) has its own
template, whose numbered placeholders ({{1}}, {{2}} ...) are filled from the fields that purpose has:

    whatsapp:
      window_s: 86400
      templates:
        agent_reply:
          content_sid: HX0123456789abcdef0123456789abcdef
          variables: {1: name, 2: agent, 3: text}       # placeholder -> field; default {1: name, 2: text}
          body: "Hi {{1}}, {{2}} replied: {{3}}"         # optional: the approved text, checked against variables

`TWILIO_CONTENT_SID_<PURPOSE>` (e.g. TWILIO_CONTENT_SID_AGENT_REPLY) overrides a purpose's SID, and
`WHATSAPP_WINDOW_S` the window (bot/config/channel_settings.py reads them); `WindowRules.of` combines both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.config.rules import Node, Problems, above, setting

PURPOSES = ("agent_reply", "handoff_update", "survey", "follow_up")
FIELDS = {  # what each purpose can fill a placeholder with
    "agent_reply": ("name", "agent", "text", "company"),
    "handoff_update": ("name", "text", "company"),
    "survey": ("name", "agent", "text", "company"),
    "follow_up": ("name", "topic", "text", "company"),
}
DEFAULT_VARIABLES = {"1": "name", "2": "text"}
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
DAY_S = 86400.0
MAX_VALUE_CHARS = 900  # WhatsApp refuses a template over 1,024 characters with its values filled in


def sid_problem(value: str) -> str | None:
    """Why `value` is not a Content SID, or None."""
    if CONTENT_SID.match(value):
        return None
    return f"is not a Content SID: HX followed by 32 hex characters (got {value!r})"


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template: its Content SID and which field fills each numbered placeholder."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_VARIABLES))
    body: str = ""

    def fill(self, values: dict[str, Any]) -> dict[str, str]:
        """ContentVariables for these field values (a missing one is left empty)."""
        return {number: str(values.get(name) or "")[:MAX_VALUE_CHARS] for number, name in self.variables.items()}


def _braced(numbers: Any) -> str:
    return ", ".join("{{" + n + "}}" for n in sorted(numbers, key=lambda k: (len(k), k)))


def _template(purpose: str, node: Node, key: str, problems: Problems) -> Template | None:
    if not isinstance(node.value, dict):
        problems.add(node.line, key, "must be a mapping with content_sid and variables")
        return None
    before = len(problems.lines)
    for name in node.value:
        if name not in ("content_sid", "variables", "body"):
            problems.add(node.where(name), f"{key}.{name}", "unknown setting (known: content_sid, variables, body)")
    sid_node = node.value.get("content_sid")
    sid = "" if sid_node is None or sid_node.value is None else str(sid_node.value).strip()
    if sid and (problem := sid_problem(sid)):
        problems.add(node.where("content_sid"), f"{key}.content_sid", problem)
    variables = dict(DEFAULT_VARIABLES)
    if "variables" in node.value:
        given = node.value["variables"]
        if not isinstance(given.value, dict) or not given.value:
            problems.add(node.where("variables"), f"{key}.variables", "must map placeholder numbers to fields, e.g. {1: name, 2: text}")
            return None
        variables = {str(k): str(v.value) for k, v in given.value.items()}
        wanted = [str(n) for n in range(1, len(variables) + 1)]
        if sorted(variables, key=lambda k: (len(k), k)) != wanted:
            problems.add(node.where("variables"), f"{key}.variables",
                         f"placeholders must be numbered 1 to {len(variables)} (got {', '.join(variables)})")
        for number, name in variables.items():
            if name not in FIELDS[purpose]:
                problems.add(given.where(number), f"{key}.variables.{number}",
                             f"{name!r} is not a field of {purpose} (one of {', '.join(FIELDS[purpose])})")
    body = ""
    if "body" in node.value:
        body = str(node.value["body"].value or "")
        found = sorted(set(PLACEHOLDER.findall(body)), key=int)
        if found != sorted(variables, key=lambda k: (len(k), k)):
            problems.add(node.where("body"), f"{key}.body", f"the variables fill {_braced(variables)} but the body "
                         f"has {_braced(found) or 'no placeholders'}")
    if len(problems.lines) > before or not sid:
        return None
    return Template(sid, variables, body)


def templates(node: Node, key: str, problems: Problems) -> dict[str, Template] | None:
    """The rule of `whatsapp.templates`: {purpose: {content_sid, variables, body}}; a purpose without a SID is
    left out (its environment variable may give one)."""
    if node.value is None:
        return {}
    if not isinstance(node.value, dict):
        problems.add(node.line, key, f"must map purposes ({', '.join(PURPOSES)}) to templates")
        return None
    found: dict[str, Template] = {}
    before = len(problems.lines)
    for purpose, child in node.value.items():
        if purpose not in PURPOSES:
            problems.add(node.where(purpose), f"{key}.{purpose}", f"is not a purpose (one of {', '.join(PURPOSES)})")
            continue
        child.line = node.where(purpose)
        template = _template(purpose, child, f"{key}.{purpose}", problems)
        if template is not None:
            found[purpose] = template
    return found if len(problems.lines) == before else None


@dataclass(frozen=True)
class WhatsAppConfig:
    """`whatsapp:` the customer-service window and the templates sent outside it (bot/messaging/window.py)."""

    window_s: float = setting(DAY_S, above(0))
    templates: dict[str, Template] = setting({}, templates, nested=True)


@dataclass(frozen=True)
class WindowRules:
    """The window and templates in force: assistant.yml's, with WHATSAPP_WINDOW_S and TWILIO_CONTENT_SID_<PURPOSE>
    from the environment over them."""

    window_s: float = DAY_S
    templates: dict[str, Template] = field(default_factory=dict)

    @classmethod
    def of(cls, config: WhatsAppConfig, window_s: float | None, content_sids: dict[str, str]) -> WindowRules:
        chosen = dict(config.templates)
        for purpose, sid in content_sids.items():
            known = chosen.get(purpose)
            chosen[purpose] = Template(sid, known.variables, known.body) if known else Template(sid)
        return cls(window_s if window_s is not None else config.window_s, chosen)
