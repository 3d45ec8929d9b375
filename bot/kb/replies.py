"""The assistant's messages for each knowledge-base decision and follow-up, per channel.

Replies are plain dicts in Rasa's message format (`text`, optional
`buttons` with `title` and `payload`), so actions can dispatch them as they
are and channels can render buttons as keyboards or numbered options. The
wording comes from the responses catalogue through the conversation's
`Voice` (SMS gets the `sms` variants, and an entry's `sms` answer); buttons
show titles only, never intent or entry ids.
"""

from __future__ import annotations

import json
import re

from bot.kb.entries import Entry
from bot.responses import Voice, joined

CHOOSE_INTENT = "choose_entry"
SOMETHING_ELSE = "/something_else"
REQUEST_HUMAN = "/request_human"
AFFIRM = "/affirm"
DENY = "/deny"

_ORDINALS = {"first": 0, "1": 0, "one": 0, "top": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2, "last": -1}


def yes_no(voice: Voice, yes: str = AFFIRM) -> list[dict[str, str]]:
    """Yes/No buttons; `yes` is the Yes button's payload."""
    return [voice.button("buttons.yes", yes), voice.button("buttons.no", DENY)]


def choose_payload(entry_id: str) -> str:
    """The button payload that picks an entry: `/choose_entry{"kb_entry": "<id>"}`."""
    return f"/{CHOOSE_INTENT}{json.dumps({'kb_entry': entry_id})}"


def paraphrase(entry: Entry, voice: Voice) -> str:
    """What the customer needs, in words the assistant can say back: the entry's `paraphrase`, else its title
    (listening.paraphrase_title)."""
    title = f"{entry.title[0].lower()}{entry.title[1:]}"
    text = (entry.paraphrase or voice.say("listening.paraphrase_title", title=title)).strip()
    return text.rstrip(".!?")


def answer_message(entry: Entry, voice: Voice) -> dict:
    """The entry's answer (its `sms` version on SMS), then "Did that answer your question?" with Yes/No."""
    text = entry.sms if voice.sms and entry.sms else entry.answer
    return {"text": f"{text.strip()}\n\n{voice.say('faq.did_it_help')}", "buttons": yes_no(voice)}


def paraphrase_message(entry: Entry, voice: Voice, lead: str = "") -> dict:
    """Active listening: say back what the customer needs and ask if that's right."""
    return {"text": joined(lead, voice.say("listening.paraphrase", need=paraphrase(entry, voice))),
            "buttons": yes_no(voice)}


def next_candidate_message(entry: Entry, voice: Voice) -> dict:
    """After "no, that didn't help": the next plausible entry, as a yes/no question."""
    return {"text": voice.say("faq.next_candidate", need=paraphrase(entry, voice)), "buttons": yes_no(voice)}


def clarify_message(choices: list[Entry], voice: Voice, lead: str = "") -> dict:
    if len(choices) == 1:
        return paraphrase_message(choices[0], voice, lead)
    text = voice.say("faq.clarify", choices=", ".join(c.title for c in choices))
    return {
        "text": joined(lead, text),
        "buttons": [{"title": c.title, "payload": choose_payload(c.id)} for c in choices]
        + [voice.button("buttons.something_else", SOMETHING_ELSE)],
    }


def fallback_message(voice: Voice, lead: str = "") -> dict:
    """Nothing fits. Tone (docs/guidelines-coverage.md): a sincere apology, honest about not knowing, and what
    I will do next; the team's contact details come from the persona."""
    return {"text": joined(lead, voice.say("faq.fallback")),
            "buttons": [voice.button("buttons.talk_to_a_person", REQUEST_HUMAN)]}


def offer_person_message(voice: Voice, lead: str = "") -> dict:
    """After a second miss in a row, or an answer that did not help with nothing else to offer."""
    return {"text": joined(lead, voice.say("person.offer")), "buttons": yes_no(voice, yes=REQUEST_HUMAN)}


def rephrase_message(voice: Voice, lead: str = "") -> dict:
    """"Something else" or "no, that's not it" the first time: ask for the question in other words."""
    return {"text": joined(lead, voice.say("faq.rephrase"))}


# Words that may stand around an ordinal in a reply that only picks a choice ("I meant the second one please").
_PICKING_WORDS = {"the", "one", "option", "number", "no", "choice", "please", "i", "mean", "meant", "want", "d", "like",
                  "that", "it", "is", "s", "its", "pick", "take", "go", "with", "for", "me", "ok", "okay", "yes"}


def ordinal_choice(text: str, offered: list[str]) -> str | None:
    """The offered entry id a reply like 'the second one' or '2' points at, if any.

    Only a reply that does nothing but pick counts: a message with other words in it ("alert(1)",
    "I need 2 tickets", "one more question") is a new message, not a position."""
    words = re.findall(r"\w+", text.lower())
    if not words or any(w not in _ORDINALS and w not in _PICKING_WORDS for w in words):
        return None
    ordinals = {w for w in words if w in _ORDINALS}
    if len(ordinals) > 1:
        ordinals.discard("one")  # "the second one": "one" is the noun
    positions = {_ORDINALS[w] for w in ordinals}
    if len(positions) != 1:
        return None
    position = positions.pop()
    return offered[position] if -len(offered) <= position < len(offered) else None
