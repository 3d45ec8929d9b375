"""Keeping the conversation respectful: recognising abuse aimed at the assistant or staff, and what to say.

`is_abusive` backs up the NLU `insult` intent with a small lexicon: an
insult word aimed at a person (you, the bot, the staff), or a phrase that
is abusive on its own. Swearing about a situation ("this bloody app won't
load") is frustration, not abuse, and is left to the frustration detector.
The first abusive message in a conversation gets a calm boundary; the second
ends the automated conversation and flags it for a person (the catalogue's
`boundaries.*` responses).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from bot.responses import Responses, Voice

# Words that insult a person; also the `insult_word` lookup table in data/nlu/boundaries.yml
# (tests/bot/dialogue/test_boundaries.py keeps the two the same).
INSULT_WORDS = (
    "idiot", "idiots", "idiotic", "moron", "morons", "moronic", "stupid", "dumb", "useless", "pathetic",
    "incompetent", "imbecile", "cretin", "clown", "clowns", "loser", "losers", "scum", "bitch", "bastard",
    "bastards", "asshole", "assholes", "arsehole", "arseholes", "dickhead", "dickheads", "prick", "pricks",
    "twat", "twats", "wanker", "wankers", "cunt", "cunts", "shithead", "dipshit", "jackass", "dimwit",
    "halfwit", "numpty", "pillock", "tosser", "tossers", "brainless", "worthless", "retarded", "fuckwit",
    "garbage", "trash", "rubbish", "crap", "shit", "fucking", "bloody", "damn",
)
# Aimed at someone: the assistant, a person, the staff.
TARGET_WORDS = (
    "you", "you're", "youre", "u", "ur", "yourself", "bot", "robot", "machine", "assistant", "chatbot",
    "staff", "team", "people", "employees", "agent", "agents", "manager", "sam",
)
# Abusive on their own, whatever follows.
ABUSIVE_PHRASES = (
    r"f+u+c+k+\s*(?:you|u|off|ya|yourself)", r"\bf\s*off\b", r"\bfu\b", r"\bstfu\b", r"\bshut\s+(?:the\s+\w+\s+)?up\b",
    r"\bscrew\s+(?:you|u)\b", r"\bpiss\s+off\b", r"\bgo\s+to\s+hell\b", r"\bsod\s+off\b", r"\bbugger\s+off\b",
    r"\bkill\s+yourself\b", r"\bdrop\s+dead\b", r"\bcunts?\b", r"\bgo\s+(?:and\s+)?die\b", r"\bget\s+lost\b",
)
# Profanity is only abusive aimed at someone ("fucking bot", "you piece of shit"); alone it is frustration.
_SWEAR_ONLY = {"fucking", "bloody", "damn", "crap", "shit", "rubbish", "garbage", "trash"}
_PERSON_NOUNS = set(TARGET_WORDS) - {"you", "you're", "youre", "u", "ur", "yourself", "sam"}
_SECOND_PERSON = {"you", "you're", "youre", "u", "ur", "yourself"}
_WINDOW = 4  # an insult at most this many words after "you" / "bot" is aimed at it

_ABUSIVE = re.compile("|".join(ABUSIVE_PHRASES), re.IGNORECASE)
_MASKED = ((re.compile(r"\bf[*#@$!]{2,}k?(?:ing|in)?(?![a-z])", re.IGNORECASE), "fuck"),
           (re.compile(r"\bs[*#@$!]{2,}t?(?![a-z])", re.IGNORECASE), "shit"))

INSULT_CONFIDENCE = 0.6  # below this, NLU's `insult` counts only if the lexicon agrees
OUT_OF_SCOPE_CONFIDENCE = 0.9  # below this, a knowledge-base clarifying question beats "that's outside…"


def knowledge_base_first(decision: str, out_of_scope_confidence: float) -> bool:
    """Whether a message NLU calls out_of_scope should go to the knowledge base after all.

    A confident answer always wins ("this stupid app won't let me log in");
    a clarifying question wins unless NLU is very sure it is outside the company's services.
    """
    return decision == "answer" or (decision == "clarify" and out_of_scope_confidence < OUT_OF_SCOPE_CONFIDENCE)


def _clauses(text: str) -> list[list[str]]:
    text = text.lower().replace("’", "'")
    for pattern, word in _MASKED:
        text = pattern.sub(word, text)
    return [re.findall(r"[a-z']+", clause) for clause in re.split(r"[,.;:!?\n]+", text)]


def _aimed(words: list[str], index: int) -> bool:
    """Whether the insult at `words[index]` is aimed at the assistant, a person or the staff."""
    word = words[index]
    before = words[max(0, index - _WINDOW):index]
    if word in _SWEAR_ONLY:
        # "you piece of shit", "you rubbish bot", "fucking bot", "shit staff"
        return (index + 1 < len(words) and words[index + 1] in _PERSON_NOUNS) or bool(
            before and before[0] in _SECOND_PERSON and " ".join(before).startswith(("you piece of", "u piece of"))
        ) or (before[-1:] == ["you"])
    return any(w in TARGET_WORDS for w in before) or (index + 1 < len(words) and words[index + 1] in _PERSON_NOUNS)


def is_abusive(text: str) -> bool:
    """True for abuse aimed at the assistant or staff ("you're useless", "stupid bot", "f*** you").

    "I feel stupid, can you help?" is not: the insult must follow "you" (or
    the bot, the staff) closely in the same clause, or name them directly.
    """
    for words in _clauses(text):
        if _ABUSIVE.search(" ".join(words)):
            return True
        if any(word in INSULT_WORDS and _aimed(words, i) for i, word in enumerate(words)):
            return True
    return False


def _user_events_this_session(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") in ("session_started", "restart"):
            users = []
        elif event.get("event") == "user":
            users.append(event)
    return users


def abusive_message(text: str, intent: dict[str, Any] | None) -> bool:
    """A customer message is abusive if the lexicon says so, or NLU is confident it is an insult.

    "what a load of rubbish" (an `insult` at 0.49, no target) is frustration,
    not abuse: it goes to the knowledge base like any other message.
    """
    intent = intent or {}
    confident = intent.get("name") == "insult" and float(intent.get("confidence") or 0.0) >= INSULT_CONFIDENCE
    return confident or is_abusive(text)


def abusive_messages(events: Iterable[dict[str, Any]]) -> int:
    """How many of this session's customer messages were abusive (see `abusive_message`)."""
    return sum(
        abusive_message(event.get("text") or "", (event.get("parse_data") or {}).get("intent"))
        for event in _user_events_this_session(events)
    )


def boundary_message(responses: Responses, conversation_id: str, count: int) -> str:
    """A calm boundary, varied between conversations, for the first abusive message; the ending after that."""
    if count >= 2:
        return responses.say("boundaries.ending")
    return responses.say("boundaries.respect", seed=f"{conversation_id}:0")


def out_of_scope_message(voice: Voice) -> dict:
    """Admit the question is outside the company's services, say what the assistant can do, offer a person.

    SMS gets the short `sms` variant (with the team's phone number).
    """
    return {"text": voice.say("boundaries.out_of_scope"),
            "buttons": [voice.button("buttons.talk_to_a_person", "/request_human")]}
