"""Conversation files for testers: the YAML format, its parser, and the checks on each reply.

A file holds `conversations:`, each a `name` (the customer's goal), an
optional `channel` and profile name, and `steps`: what the customer says and
what must hold afterwards (`expect`). README.md, "Conversation tests for
testers", documents the format; `bot/ops/testing/runner.py` plays the files
against the running assistant.

YAML cannot hold two `name` keys in one mapping, yet a conversation has a
title and may have a profile name. So in a conversation the first `name:` is
the title and a second `name:` is the profile name (`profile_name:` says the
same unambiguously); in a step, `name:` is the profile name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import FrontdeskError

CHANNELS = ("rest", "webchat", "telegram", "sms", "whatsapp")
EXPECT_KEYS = ("contains", "not_contains", "matches", "not_matches", "max_chars", "buttons", "kb_answered",
               "kb_offered", "picked", "slots", "handed_over", "silent")
CONVERSATION_KEYS = {"name", "profile_name", "channel", "steps", "sender"}
STEP_KEYS = {"say", "channel", "name", "profile_name", "expect"}
_SECOND_NAME = "profile_name"


class ConversationFileError(FrontdeskError):
    """A conversation file is not in the format; the message names the file and the place."""


@dataclass(frozen=True)
class Step:
    say: str
    channel: str
    profile_name: str | None
    expect: dict[str, Any]
    line: int = 0


@dataclass(frozen=True)
class Conversation:
    name: str
    path: Path
    steps: tuple[Step, ...]
    line: int = 0
    sender: str | None = None  # a fixed sender id (the survey's NPS draw depends on it); default: a fresh one


@dataclass(frozen=True)
class Reply:
    """What the assistant did after one customer message."""

    messages: list[dict]
    slots: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
    offered_before: list[str] | None = None  # the previous step's kb_offered (None: that step did not read it)

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self.messages if m.get("text"))

    @property
    def button_titles(self) -> list[str]:
        return [str(b.get("title", "")) for m in self.messages for b in (m.get("buttons") or [])]


# -- reading files ---------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys, except a second `name` (stored as `profile_name`)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {"__line__": node.start_mark.line + 1}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        if key in mapping:
            if key == "name" and _SECOND_NAME not in mapping:
                key = _SECOND_NAME
            else:
                raise ConversationFileError(f"line {key_node.start_mark.line + 1}: key {key!r} appears twice")
        mapping[key] = value
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.2 booleans: `say: yes` / `say: no` are what the customer types, only true/false are booleans.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise ConversationFileError(f"{where} must be a string or a list of strings")


def _check_expect(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConversationFileError(f"{where}: 'expect' must be a mapping of checks")
    expect = {k: v for k, v in raw.items() if k != "__line__"}
    unknown = set(expect) - set(EXPECT_KEYS)
    if unknown:
        raise ConversationFileError(f"{where}: unknown check(s) {', '.join(sorted(map(str, unknown)))} "
                                    f"(known: {', '.join(EXPECT_KEYS)})")
    for key in ("contains", "not_contains", "buttons", "kb_offered"):
        if key in expect:
            expect[key] = _strings(expect[key], f"{where}: '{key}'")
    for key in ("matches", "not_matches"):
        if key in expect:
            if not isinstance(expect[key], str):
                raise ConversationFileError(f"{where}: '{key}' must be a regular expression (a string)")
            try:
                re.compile(expect[key])
            except re.error as error:
                raise ConversationFileError(f"{where}: '{key}' is not a valid regular expression ({error})") from None
    if "kb_answered" in expect and not (expect["kb_answered"] is None or isinstance(expect["kb_answered"], str)):
        raise ConversationFileError(f"{where}: 'kb_answered' must be an entry id or null")
    if "picked" in expect and (not isinstance(expect["picked"], int) or isinstance(expect["picked"], bool)
                               or expect["picked"] == 0):
        raise ConversationFileError(f"{where}: 'picked' must be a position among the choices offered: 1, 2, 3 or -1 (last)")
    if "slots" in expect:
        slots = expect["slots"]
        slots = {k: v for k, v in slots.items() if k != "__line__"} if isinstance(slots, dict) else None
        if not slots:
            raise ConversationFileError(f"{where}: 'slots' must be a mapping of slot names to values")
        expect["slots"] = slots
    if "max_chars" in expect and (isinstance(expect["max_chars"], bool) or not isinstance(expect["max_chars"], int)
                                  or expect["max_chars"] < 1):
        raise ConversationFileError(f"{where}: 'max_chars' must be a positive whole number")
    for key in ("handed_over", "silent"):
        if key in expect and not isinstance(expect[key], bool):
            raise ConversationFileError(f"{where}: '{key}' must be true or false")
    return expect


def _channel(value: Any, where: str) -> str:
    if value not in CHANNELS:
        raise ConversationFileError(f"{where}: channel {value!r} is not one of {', '.join(CHANNELS)}")
    return value


def _profile_name(raw: dict, where: str) -> str | None:
    value = raw.get(_SECOND_NAME, raw.get("name") if "say" in raw else None)
    if value is not None and not isinstance(value, str):
        raise ConversationFileError(f"{where}: the profile name must be a string")
    return value


def _parse_conversation(raw: Any, path: Path, index: int) -> Conversation:
    where = f"conversation {index}"
    if not isinstance(raw, dict):
        raise ConversationFileError(f"{where} must be a mapping with 'name' and 'steps'")
    line = raw["__line__"]
    where = f"line {line}: {where}"
    unknown = set(raw) - CONVERSATION_KEYS - {"__line__"}
    if unknown:
        raise ConversationFileError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    title = raw.get("name")
    if not isinstance(title, str) or not title.strip():
        raise ConversationFileError(f"{where}: 'name' (the customer's goal) is required")
    channel = _channel(raw.get("channel", "rest"), where)
    profile = _profile_name(raw, where)
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ConversationFileError(f"{where} ({title}): 'steps' must be a non-empty list")
    steps = []
    for number, step in enumerate(steps_raw, start=1):
        at = f"{where} ({title}), step {number}"
        if not isinstance(step, dict):
            raise ConversationFileError(f"{at}: a step must be a mapping with 'say'")
        at = f"line {step['__line__']}: conversation {index} ({title}), step {number}"
        unknown = set(step) - STEP_KEYS - {"__line__"}
        if unknown:
            raise ConversationFileError(f"{at}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        if not isinstance(step.get("say"), str):
            raise ConversationFileError(f"{at}: 'say' (what the customer sends) must be a string")
        steps.append(Step(
            say=step["say"],
            channel=_channel(step["channel"], at) if "channel" in step else channel,
            profile_name=_profile_name(step, at) if ("name" in step or _SECOND_NAME in step) else profile,
            expect=_check_expect(step.get("expect"), at),
            line=step["__line__"],
        ))
    sender = raw.get("sender")
    if sender is not None and (not isinstance(sender, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", sender)):
        raise ConversationFileError(f"{where} ({title}): 'sender' must be an id of letters, digits and . _ : -")
    return Conversation(title.strip(), path, tuple(steps), line, sender)


def load_file(path: Path) -> list[Conversation]:
    """The conversations in one file; ConversationFileError says what is wrong and where."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except OSError as error:
        raise ConversationFileError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConversationFileError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    except ConversationFileError as error:
        raise ConversationFileError(f"{path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list) or not data["conversations"]:
        raise ConversationFileError(f"{path}: the file must hold 'conversations:', a non-empty list")
    unknown = set(data) - {"conversations", "__line__"}
    if unknown:
        raise ConversationFileError(f"{path}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    try:
        return [_parse_conversation(c, path, i) for i, c in enumerate(data["conversations"], start=1)]
    except ConversationFileError as error:
        raise ConversationFileError(f"{path}: {error}") from None


def find_files(paths: list[Path]) -> list[Path]:
    """Files named, and every *.yml / *.yaml below folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ConversationFileError(f"{path}: no such file or folder")
    return found


# -- checking replies ------------------------------------------------------


def _show(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def check(expect: dict[str, Any], reply: Reply) -> list[str]:
    """What does not hold about `reply`, one line per failed check (empty when all hold)."""
    failures: list[str] = []
    text = reply.text
    lowered = text.lower()
    for wanted in expect.get("contains", []):
        if wanted.lower() not in lowered:
            failures.append(f"contains: the reply does not contain {wanted!r}")
    for unwanted in expect.get("not_contains", []):
        if unwanted.lower() in lowered:
            failures.append(f"not_contains: the reply contains {unwanted!r}")
    if "matches" in expect and not re.search(expect["matches"], text, re.IGNORECASE):
        failures.append(f"matches: the reply does not match /{expect['matches']}/")
    if "not_matches" in expect and re.search(expect["not_matches"], text, re.IGNORECASE):
        failures.append(f"not_matches: the reply matches /{expect['not_matches']}/")
    if "max_chars" in expect and len(text) > expect["max_chars"]:
        failures.append(f"max_chars: the reply has {len(text)} characters, more than {expect['max_chars']}")
    titles = [t.lower() for t in reply.button_titles]
    missing = [b for b in expect.get("buttons", []) if not any(b.lower() in t for t in titles)]
    if missing:
        failures.append(f"buttons: no button titled like {_show(missing)} (offered: {_show(reply.button_titles) or 'none'})")
    if "kb_answered" in expect and reply.slots.get("kb_answered") != expect["kb_answered"]:
        failures.append(f"kb_answered: expected {expect['kb_answered']!r}, slot is {reply.slots.get('kb_answered')!r}")
    if "picked" in expect:
        failures += _picked(expect["picked"], reply)
    offered = reply.slots.get("kb_offered") or []
    absent = [i for i in expect.get("kb_offered", []) if i not in offered]
    if absent:
        failures.append(f"kb_offered: {_show(absent)} not offered (slot kb_offered is {offered!r})")
    for slot, value in expect.get("slots", {}).items():
        if slot not in reply.slots:
            failures.append(f"slots: the assistant has no slot {slot!r}")
        elif reply.slots[slot] != value:
            failures.append(f"slots: {slot} expected {value!r}, is {reply.slots[slot]!r}")
    if "handed_over" in expect:
        handed = bool(reply.slots.get("handoff_id")) and reply.paused
        if handed != expect["handed_over"]:
            state = f"handoff_id={reply.slots.get('handoff_id')!r}, paused={reply.paused}"
            failures.append(f"handed_over: expected {str(expect['handed_over']).lower()}, but {state}")
    if "silent" in expect:
        if expect["silent"] and reply.messages:
            failures.append(f"silent: the assistant sent {len(reply.messages)} message(s)")
        if not expect["silent"] and not reply.messages:
            failures.append("silent: expected a reply, the assistant sent nothing")
    return failures


def _picked(position: int, reply: Reply) -> list[str]:
    """`picked: N`: the entry answered is the one the previous reply offered at position N, whatever the order the
    knowledge base offered them in (a content edit may swap two choices; the behaviour stays)."""
    if reply.offered_before is None:
        return ["picked: the previous step read no kb_offered: give it a kb_offered check"]
    offered = reply.offered_before
    if not -len(offered) <= (position - 1 if position > 0 else position) < len(offered):
        return [f"picked: the previous reply offered {len(offered)} choice(s) ({offered!r}), none at {position}"]
    wanted = offered[position - 1 if position > 0 else position]
    answered = reply.slots.get("kb_answered")
    return [] if answered == wanted else [f"picked: expected choice {position} ({wanted!r}) answered, slot kb_answered is {answered!r}"]


def needs_tracker(expect: dict[str, Any]) -> bool:
    """True when a check reads slots or the paused state (one more HTTP call per step)."""
    return bool({"kb_answered", "kb_offered", "picked", "slots", "handed_over"} & set(expect))
