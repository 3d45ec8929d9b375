"""Closing a conversation: what was covered (from the tracker's events), thanks and the team's contact details.

The recap is built from the knowledge-base entries answered since the
conversation began (or since the previous closing): each entry's
`paraphrase` turned into a topic ("you'd like to cancel a booking" ->
"how to cancel a booking"), or its title. It is honest: an answer the
customer said did not help (and did not take back later), or questions the assistant could not answer,
are named as such. The words are the catalogue's `closing.*` responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from bot.kb import Entry
from bot.responses import Responses, Voice, joined

CLOSING_ACTION = "action_close_conversation"

_TOPIC_RULES = (
    (re.compile(r"^you'd like to know (?:about )?(?P<rest>.+)$"), "{rest}"),
    (re.compile(r"^you'd like to (?P<rest>.+)$"), "how to {rest}"),
    (re.compile(r"^you're having (?P<rest>trouble .+)$"), "{rest}"),
    (re.compile(r"^you're worried about (?P<rest>.+)$"), "{rest}"),
)


@dataclass
class Covered:
    """What happened in the part of the conversation being closed."""

    answered: list[str] = field(default_factory=list)  # entry ids, in order, once each
    not_helped: set[str] = field(default_factory=set)  # entries the customer said did not help
    unanswered: int = 0  # questions the knowledge base could not answer
    handed_over: bool = False


def _since_last_close(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events after the session start or the previous closing, whichever is later."""
    start = 0
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind in ("session_started", "restart") or (kind == "action" and event.get("name") == CLOSING_ACTION):
            start = index + 1
    return events[start:]


def asked_anything_else(events: Iterable[dict[str, Any]], responses: Responses) -> bool:
    """Whether the assistant's latest message asked if there is anything else (so "no" means the customer is done):
    it ends with the catalogue's `faq.anything_else`, or says "anything else" (domain.yml's utter_you_are_welcome)."""
    for event in reversed(list(events)):
        if event.get("event") == "bot":
            text = (event.get("text") or "").strip()
            return (any(text.endswith(question) for question in responses.wordings("faq.anything_else"))
                    or bool(re.search(r"\banything else\b", text, re.IGNORECASE)))
    return False


# The customer saying an answer did help after all ("No, that was actually fine", "that helped").
_HELPED_AFTER_ALL = re.compile(
    r"\b(?:that|it|this)(?:'s| is| was)? (?:actually |really |all |perfectly )?(?:fine|ok|okay|good|great|helpful|perfect|sorted)\b"
    r"|\b(?:that|it|this|you) (?:actually |really )?(?:helped|did help|answered it|sorted it)\b"
    r"|\ball good\b",
    re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|n't|never)\b", re.IGNORECASE)


def says_it_helped(text: str) -> bool:
    """Whether the customer's words say the answer helped after all (a later message can take back a "no")."""
    match = _HELPED_AFTER_ALL.search(text or "")
    return bool(match) and not _NEGATED.search(text[max(0, match.start() - 12):match.end()])


def covered(events: Iterable[dict[str, Any]]) -> Covered:
    """Read the knowledge-base slots (`kb_answered`, `kb_decision`, `answer_helped`, `handoff_id`).

    Whether an answer helped is the customer's last word on it: `answer_helped`, or a later
    message saying it was fine after all ("No, that was actually fine. bye"), which wins over
    an `answer_helped` false set in the same turn.
    """
    result = Covered()
    last_answered: str | None = None
    helped_after_all: str | None = None  # the entry the latest customer message said was fine

    def settle() -> None:
        if helped_after_all is not None:
            result.not_helped.discard(helped_after_all)

    for event in _since_last_close(list(events)):
        if event.get("event") == "user":
            settle()
            helped_after_all = last_answered if says_it_helped(event.get("text") or "") else None
            continue
        if event.get("event") != "slot":
            continue
        name, value = event.get("name"), event.get("value")
        if name == "kb_answered" and value:
            last_answered = str(value)
            if last_answered not in result.answered:
                result.answered.append(last_answered)
            result.not_helped.discard(last_answered)
        elif name == "kb_decision" and value == "fallback":
            result.unanswered += 1
        elif name == "answer_helped" and value is False and last_answered:
            result.not_helped.add(last_answered)
        elif name == "answer_helped" and value is True and last_answered:
            result.not_helped.discard(last_answered)
        elif name == "handoff_id" and value:
            result.handed_over = True
    settle()
    return result


def topic(entry: Entry) -> str:
    """A phrase for what an entry is about, to follow "we covered"."""
    paraphrase = (entry.paraphrase or "").strip().rstrip(".")
    for pattern, template in _TOPIC_RULES:
        match = pattern.match(paraphrase)
        if match:
            return template.format(rest=match.group("rest"))
    title = entry.title.strip()
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() else title


def recap(done: Covered, entries: dict[str, Entry], voice: Voice) -> str | None:
    """One or two sentences on what was covered; None when the customer asked nothing."""
    helped = [topic(entries[i]) for i in done.answered if i in entries and i not in done.not_helped]
    missed = [topic(entries[i]) for i in done.answered if i in entries and i in done.not_helped]
    parts: list[str] = []
    if helped:
        parts.append(voice.say("closing.recap", topics=voice.listing(helped)))
    if missed:
        parts.append(voice.say("closing.not_helped", topics=voice.listing(missed)))
    if done.unanswered and not helped and not missed:
        parts.append(voice.say("closing.nothing_answered"))
    elif done.unanswered:
        parts.append(voice.say("closing.some_unanswered"))
    if done.handed_over:
        parts.append(voice.say("closing.handed_over"))
    return joined(*parts) or None


def closing_message(voice: Voice, done: Covered, entries: dict[str, Entry], name: str | None) -> str:
    """Recap, thanks, and how to reach the company's people (the `sms` variants on SMS)."""
    thanks = voice.say("closing.thanks_name", name=name) if name else voice.say("closing.thanks")
    nothing_answered = done.unanswered and not done.answered and not done.handed_over
    reach = voice.say("closing.reach_unanswered" if nothing_answered else "closing.reach")
    return joined(recap(done, entries, voice), thanks, reach)
