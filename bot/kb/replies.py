"""What the assistant says for each knowledge-base decision and follow-up, per channel.

Replies are plain dicts in Rasa's message format (`text`, optional
`buttons` with `title` and `payload`), so actions can dispatch them as they
are and channels can render buttons as keyboards or numbered options. SMS
gets an entry's `sms` variant and shorter prompts; every other channel the
full wording. Buttons show titles only, never intent or entry ids.
"""

from __future__ import annotations

import json
import re

from bot.kb.entries import Entry
from bot.config import Persona

SHORT_CHANNELS = {"sms"}  # channels that get an entry's `sms` variant and short prompts
CHOOSE_INTENT = "choose_entry"
SOMETHING_ELSE = "/something_else"
REQUEST_HUMAN = "/request_human"
AFFIRM = "/affirm"
DENY = "/deny"

_ORDINALS = {"first": 0, "1": 0, "one": 0, "top": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2, "last": -1}
YES_NO = [{"title": "Yes", "payload": AFFIRM}, {"title": "No", "payload": DENY}]


def short(channel: str | None) -> bool:
    return channel in SHORT_CHANNELS


def choose_payload(entry_id: str) -> str:
    """The button payload that picks an entry: `/choose_entry{"kb_entry": "<id>"}`."""
    return f"/{CHOOSE_INTENT}{json.dumps({'kb_entry': entry_id})}"


def paraphrase(entry: Entry) -> str:
    """What the customer needs, in words the assistant can say back: the entry's `paraphrase` or its title."""
    text = (entry.paraphrase or f"your question is about {entry.title[0].lower()}{entry.title[1:]}").strip()
    return text.rstrip(".!?")


def answer_message(entry: Entry, channel: str | None) -> dict:
    """The entry's answer, then "Did that answer your question?" with Yes/No."""
    text = entry.sms if short(channel) and entry.sms else entry.answer
    question = "Did that help?" if short(channel) else "Did that answer your question?"
    return {"text": f"{text.strip()}\n\n{question}", "buttons": YES_NO}


def paraphrase_message(entry: Entry, channel: str | None, lead: str = "") -> dict:
    """Active listening: say back what the customer needs and ask if that's right."""
    need = paraphrase(entry)
    if short(channel):
        text = f"So {need}, right?"
    else:
        text = f"So what I'm hearing is that {need}. Is that right?"
    return {"text": f"{lead} {text}".strip(), "buttons": YES_NO}


def next_candidate_message(entry: Entry, channel: str | None) -> dict:
    """After "no, that didn't help": the next plausible entry, as a yes/no question."""
    need = paraphrase(entry)
    if short(channel):
        return {"text": f"Sorry about that. Do you mean {need}?", "buttons": YES_NO}
    return {"text": f"I'm sorry that didn't help. Perhaps {need}. Is that right?", "buttons": YES_NO}


def clarify_message(choices: list[Entry], channel: str | None = None, lead: str = "") -> dict:
    if len(choices) == 1:
        return paraphrase_message(choices[0], channel, lead)
    listed = ", ".join(c.title for c in choices)
    if short(channel):
        text = f"Did you mean {listed}, or something else?"
    else:
        text = f"Just to be sure I help with the right thing: did you mean {listed}, or something else?"
    return {
        "text": f"{lead} {text}".strip(),
        "buttons": [{"title": c.title, "payload": choose_payload(c.id)} for c in choices]
        + [{"title": "Something else", "payload": SOMETHING_ELSE}],
    }


def fallback_message(persona: Persona, channel: str | None = None, lead: str = "") -> dict:
    contact = persona.contact
    # Tone (docs/guidelines-coverage.md): a sincere apology, honest about not knowing, and what I will do next.
    if short(channel):
        text = (f"I'm sorry, I don't know the answer to that yet. Try asking another way, or call our team on "
                f"{contact.phone} ({contact.team_hours}).")
    else:
        text = (
            "I'm sorry, I don't know the answer to that yet, and I'd rather not guess. "
            "You could ask me in another way, or I'll help you reach our team: call "
            f"{contact.phone} or email {contact.email}; they're available {contact.team_hours}."
        )
    return {"text": f"{lead} {text}".strip(), "buttons": [{"title": "Talk to a person", "payload": REQUEST_HUMAN}]}


def offer_person_message(channel: str | None, lead: str = "") -> dict:
    """After a second miss in a row, or an answer that did not help with nothing else to offer."""
    question = "Shall I connect you with a person from our team?" if short(channel) else (
        "Would you like me to connect you with a person from our team?")
    return {"text": f"{lead} {question}".strip(),
            "buttons": [{"title": "Yes", "payload": REQUEST_HUMAN}, {"title": "No", "payload": DENY}]}


def rephrase_message(channel: str | None, lead: str = "") -> dict:
    """"Something else" or "no, that's not it" the first time: ask for the question in other words."""
    ask = "Could you say it another way?" if short(channel) else (
        "Could you tell me a bit more about what you need, in your own words?")
    return {"text": f"{lead} {ask}".strip()}


def ordinal_choice(text: str, offered: list[str]) -> str | None:
    """The offered entry id a reply like 'the second one' or '2' points at, if any."""
    for word in re.findall(r"\w+", text.lower()):
        if word in _ORDINALS:
            position = _ORDINALS[word]
            if -len(offered) <= position < len(offered):
                return offered[position]
    return None
