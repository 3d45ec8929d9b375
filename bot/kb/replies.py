"""What the assistant says for each knowledge-base decision, per channel.

Replies are plain dicts in Rasa's message format (`text`, optional
`buttons` with `title` and `payload`), so actions can dispatch them as they
are and channels can render buttons as keyboards or numbered options.
"""

from __future__ import annotations

import json
import re

from bot.kb.entries import Entry
from bot.persona import Persona

SHORT_CHANNELS = {"sms"}  # channels that get an entry's `sms` variant when it has one
CHOOSE_INTENT = "choose_entry"
SOMETHING_ELSE = "/something_else"
REQUEST_HUMAN = "/request_human"

_ORDINALS = {"first": 0, "1": 0, "one": 0, "top": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2, "last": -1}


def choose_payload(entry_id: str) -> str:
    """The button payload that picks an entry: `/choose_entry{"kb_entry": "<id>"}`."""
    return f"/{CHOOSE_INTENT}{json.dumps({'kb_entry': entry_id})}"


def answer_message(entry: Entry, channel: str | None) -> dict:
    text = entry.sms if channel in SHORT_CHANNELS and entry.sms else entry.answer
    return {"text": text}


def clarify_message(choices: list[Entry]) -> dict:
    if len(choices) == 1:
        need = choices[0].paraphrase or f"your question is about {choices[0].title.lower()}"
        return {
            "text": f"Just to be sure I help with the right thing: {need}, is that right?",
            "buttons": [
                {"title": "Yes, that's it", "payload": choose_payload(choices[0].id)},
                {"title": "No, something else", "payload": SOMETHING_ELSE},
            ],
        }
    listed = ", ".join(c.title for c in choices)
    return {
        "text": f"Just to be sure I help with the right thing: did you mean {listed}, or something else?",
        "buttons": [{"title": c.title, "payload": choose_payload(c.id)} for c in choices]
        + [{"title": "Something else", "payload": SOMETHING_ELSE}],
    }


def fallback_message(persona: Persona) -> dict:
    contact = persona.contact
    return {
        "text": (
            "I'm sorry, I don't know the answer to that one, and I'd rather not guess. "
            "You could ask me in another way, or I can help you reach our team "
            f"(phone {contact.phone}, {contact.team_hours}; email {contact.email})."
        ),
        "buttons": [{"title": "Talk to a person", "payload": REQUEST_HUMAN}],
    }


def ordinal_choice(text: str, offered: list[str]) -> str | None:
    """The offered entry id a reply like 'the second one' or '2' points at, if any."""
    for word in re.findall(r"\w+", text.lower()):
        if word in _ORDINALS:
            position = _ORDINALS[word]
            if -len(offered) <= position < len(offered):
                return offered[position]
    return None
