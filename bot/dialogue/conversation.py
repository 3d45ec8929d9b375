"""Reading a conversation's events and wording the assistant's turns.

Functions here take plain Rasa event dicts (as the action server receives
them), so they are testable without a running server. The words come from
the responses catalogue through a `Voice`, seeded by the conversation id and
the turn number: wording with variants differs from turn to turn, yet is the
same on every run of a test.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from bot.responses import Voice, joined

MAX_NAME_CHARS = 40

DESCRIPTION_MIN_WORDS = 12  # a problem described in several sentences, not a one-line question

_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")
_NOT_A_TERM = {"is", "was", "has", "had", "are", "were", "to", "for", "and", "or", "but", "the", "a", "an", "on", "in",
               "at", "it", "of", "keeps", "got", "been", "be", "not", "own", "old", "new", "last", "first"}
_MY_TERM = re.compile(r"\bmy ((?:[a-z]+ )?[a-z]+)", re.IGNORECASE)


def customer_name(events: Iterable[dict[str, Any]]) -> str | None:
    """The customer's first name from the latest user message's metadata, if any.

    Channels put it at `metadata["name"]` (Telegram first_name, WhatsApp
    ProfileName, REST `metadata.name`). Whitespace is trimmed and overly long
    or empty values are ignored.
    """
    for event in reversed(list(events)):
        if event.get("event") == "user":
            name = ((event.get("metadata") or {}).get("name") or "")
            name = name.strip() if isinstance(name, str) else ""
            if name and len(name) <= MAX_NAME_CHARS:
                return name.split()[0]
            return None
    return None


def current_session(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events since the latest `session_started` (all of them if there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return list(events[index + 1 :])
    return list(events)


def transcript(events: Iterable[dict[str, Any]], limit: int = 200, pending: bool = False) -> list[dict[str, Any]]:
    """The conversation's messages as text, oldest first, at most the last `limit`.

    Each is `{"author": "customer" | "assistant" | "agent" | "system", "text": ...}`,
    an agent's also with `"agent"` (their name). A button the customer clicked shows
    as the button's title, not its payload; events without text are left out. With
    `pending`, the message whose buttons the customer has not answered yet (the newest
    with buttons after their last message) also has `"buttons"` ([{title, payload}]), so
    a page that reloads can offer them again.
    """
    messages: list[dict[str, Any]] = []
    buttons: dict[str, str] = {}  # payload -> title, of the buttons offered since the customer last wrote
    waiting: tuple[int, list[dict[str, str]]] | None = None  # (index in messages, buttons) not answered yet
    for event in events:
        text = event.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        if event.get("event") == "user":
            messages.append({"author": "customer", "text": buttons.get(text, text)})
            buttons, waiting = {}, None
        elif event.get("event") == "bot":
            metadata = event.get("metadata") or {}
            offered = [b for b in (event.get("data") or {}).get("buttons") or [] if isinstance(b, dict)]
            buttons.update({str(b.get("payload")): str(b.get("title")) for b in offered})
            if offered:
                waiting = (len(messages), [{"title": str(b.get("title")), "payload": str(b.get("payload"))}
                                           for b in offered])
            if metadata.get("agent"):
                messages.append({"author": "agent", "text": text, "agent": str(metadata["agent"])})
            else:
                messages.append({"author": "system" if metadata.get("notice") else "assistant", "text": text})
    if pending and waiting is not None:
        messages[waiting[0]]["buttons"] = waiting[1]
    return messages[-limit:]


def is_first_turn(events: Sequence[dict[str, Any]]) -> bool:
    """True when the assistant has not said anything yet in this session."""
    return not any(e.get("event") == "bot" for e in current_session(events))


def turn_number(events: Iterable[dict[str, Any]]) -> int:
    """How many messages the customer has sent in the whole conversation."""
    return sum(1 for e in events if e.get("event") == "user")


def is_description(text: str) -> bool:
    """A problem told in several sentences ("I tried to log in. It says locked."), not a short question."""
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if len(s.split()) >= 2]
    return len(sentences) >= 2 and len(text.split()) >= DESCRIPTION_MIN_WORDS


def key_term(text: str, vocabulary: str) -> str | None:
    """The customer's own words for what it is about ("my spin class" -> "spin class"), when they fit.

    Only a term of one or two words after "my" whose words all occur in `vocabulary`
    (the matched entries' titles and questions), so the mirror stays on topic.
    """
    known = set(re.findall(r"[a-z]+", vocabulary.lower()))
    for match in _MY_TERM.finditer(text):
        words = match.group(1).lower().split()
        while words and (words[-1] not in known or words[-1] in _NOT_A_TERM):
            words.pop()  # "my account is" -> "account"
        if words and all(w in known and w not in _NOT_A_TERM for w in words):
            return " ".join(words)
    return None


def acknowledgement(text: str, vocabulary: str, voice: Voice) -> str:
    """A varied acknowledgement of a problem the customer described, mirroring their key term where it fits."""
    term = key_term(text, vocabulary)
    if term:
        return voice.say("listening.mirrored", term=term)
    return voice.say("listening.acknowledgement")


def greeting(voice: Voice, name: str | None, returning: bool = False, first: bool = True) -> str:
    """The reply to a hello: introduce the assistant on the first turn, welcome back a returning customer."""
    if not first:
        return voice.say("greeting.again_name", name=name) if name else voice.say("greeting.again")
    return joined(introduction(voice, name, returning), voice.say("greeting.ask"))


def introduction(voice: Voice, name: str | None, returning: bool = False) -> str:
    """Who the assistant is, said once per conversation (before the answer when the first message is a question)."""
    if returning:
        hello = voice.say("greeting.welcome_back_name", name=name) if name else voice.say("greeting.welcome_back")
    else:
        hello = voice.say("greeting.hello_name", name=name) if name else voice.say("greeting.hello")
    return joined(hello, voice.say("greeting.introduction"))
