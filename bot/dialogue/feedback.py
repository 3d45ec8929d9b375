"""The end-of-conversation survey: reading CSAT and NPS answers, choosing who gets NPS, storing answers.

Customers type ratings in many ways ("4", "four", "4/5", "very good",
"⭐⭐⭐⭐"); `parse_csat` and `parse_nps` turn them into scores or say the
answer was a skip, a goodbye, or not understood. Answers are rows of the
`frontdesk_surveys` table (bot/messaging/store.py): one per question asked, `score`
null when skipped; the optional comment is masked and kept on the
conversation's latest survey row.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.dialogue.boundaries import abusive_message
from bot.privacy import mask_secrets
from bot.messaging.store import surveys
from bot.responses import Voice, joined

CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)
MAX_COMMENT_CHARS = 2000

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
# The usual five-point labels (1 poor ... 5 excellent) and everyday ways of saying them,
# longest first so "not good" is not read as "good".
_CSAT_WORDS = sorted(
    {
        "very poor": 1, "terrible": 1, "awful": 1, "horrible": 1, "useless": 1, "rubbish": 1, "very bad": 1,
        "poor": 1, "bad": 1, "worst": 1, "not helpful": 1, "unhelpful": 1, "not at all helpful": 1,
        "not very helpful": 2,
        "fair": 2, "not good": 2, "not great": 2, "not very good": 2, "meh": 2, "so-so": 2, "so so": 2,
        "could be better": 2, "mediocre": 2,
        "good": 3, "ok": 3, "okay": 3, "fine": 3, "average": 3, "alright": 3, "all right": 3, "not bad": 3,
        "decent": 3, "satisfactory": 3,
        "very good": 4, "great": 4, "really good": 4, "pretty good": 4, "quite good": 4, "helpful": 4,
        "very helpful": 5, "excellent": 5, "amazing": 5, "perfect": 5, "brilliant": 5, "fantastic": 5,
        "outstanding": 5, "superb": 5, "awesome": 5, "loved it": 5, "the best": 5, "5 stars": 5,
    }.items(),
    key=lambda item: -len(item[0]),
)
_SKIP = re.compile(
    r"^(?:skip(?: (?:it|this|that|please))?|pass|no|nope|nah|no thanks?|no thank you|none|nothing|n/?a|"
    r"nothing (?:else|to add|more)|not really|rather not|i'?d rather not|prefer not to say|no comment|"
    r"no comments|next|not now|later|maybe later|don'?t know|dunno|not sure|no,? (?:thanks?|that'?s all|all good))"
    r"[.! ]*(?:,? ?thanks?(?: you)?)?[.! ]*$"
)
_STOP = re.compile(r"^(?:bye|goodbye|bye bye|stop|cancel|quit|exit|end|see (?:you|ya)|cya)\b")

Outcome = Literal["score", "skip", "stop", "unclear"]


@dataclass(frozen=True)
class Reading:
    """What a survey reply meant: a score, a skip, a goodbye (skip the rest) or nothing we understood."""

    outcome: Outcome
    score: int | None = None


def nps_due(conversation_id: str, rate: float) -> bool:
    """Whether this conversation gets the NPS question: a stable draw from the id's hash.

    The same conversation always gets the same answer (on any instance), so
    a re-asked survey is consistent; rate 0 never asks, rate 1 always asks.
    """
    digest = hashlib.sha256(conversation_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("’", "'"))


def _read_number(text: str, low: int, high: int, scale: int) -> int | None | Literal["out_of_range"]:
    """The one whole number in `text` (digits or words), ignoring a '/5' or 'out of 10' scale."""
    scale_word = {5: "five", 10: "ten"}[scale]
    text = re.sub(rf"(?:/|\bout of|\bof)\s*(?:{scale}|{scale_word})\b", " ", text)
    numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", text)]
    numbers += [_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text) if w in _NUMBER_WORDS]
    if len(numbers) != 1:
        return None
    number = numbers[0]
    if number != int(number):
        return None
    return int(number) if low <= number <= high else "out_of_range"


def _skip_or_stop(text: str) -> Reading | None:
    if _SKIP.match(text):
        return Reading("skip")
    if _STOP.match(text):
        return Reading("stop")
    return None


def parse_csat(text: str) -> Reading:
    """A 1-5 satisfaction rating from a reply: "4", "four", "4/5", "4 stars", "very good", "⭐⭐⭐⭐"."""
    text = _normalise(text)
    stars = text.count("⭐") + text.count("★")
    if stars and CSAT_RANGE[0] <= stars <= CSAT_RANGE[1] and not re.search(r"\d", text):
        return Reading("score", stars)
    number = _read_number(text, *CSAT_RANGE, scale=5)
    if isinstance(number, int):
        return Reading("score", number)
    if number is None:
        words = re.sub(r"[^a-z0-9' -]", " ", text)
        for phrase, score in _CSAT_WORDS:
            if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", words):
                return Reading("score", score)
    return _skip_or_stop(text) or Reading("unclear")


def parse_nps(text: str) -> Reading:
    """A 0-10 likelihood to recommend from a reply: "8", "eight", "8/10", "8 out of 10"."""
    text = _normalise(text)
    number = _read_number(text, *NPS_RANGE, scale=10)
    if isinstance(number, int):
        return Reading("score", number)
    return _skip_or_stop(text) or Reading("unclear")


def parse_comment(text: str) -> Reading:
    """A free comment is anything that is not a skip; 'bye' ends the survey."""
    normalised = _normalise(text)
    if not normalised:
        return Reading("unclear")
    return _skip_or_stop(normalised) or Reading("score")


NEW_QUESTION_CONFIDENCE = 0.8  # NLU this sure a survey reply is an FAQ question: answer it instead


def is_new_question(message: dict | None) -> bool:
    """Whether a reply to a rating question is really a new question ("how do I freeze my membership?")."""
    intent = (message or {}).get("intent") or {}
    return intent.get("name") == "faq" and float(intent.get("confidence") or 0.0) >= NEW_QUESTION_CONFIDENCE


_QUESTION_START = re.compile(r"^(is|are|can|could|do|does|did|how|what|where|when|which|who|why|will|would|should|have|has)\b",
                             re.IGNORECASE)


def asks_a_question(message: dict | None) -> bool:
    """Whether a reply to "Anything you'd like to tell us?" is a new question rather than a comment:
    the NLU reads a question about our services, and it is worded as a question ("Is there parking?").
    A complaint ("you charged me twice") reads as a question to the NLU too, but it is feedback."""
    text = ((message or {}).get("text") or "").strip()
    return is_new_question(message) and (text.endswith("?") or bool(_QUESTION_START.match(text)))


def interrupts_survey(message: dict | None) -> bool:
    """A reply that ends the survey at once: a new question, or abuse (which gets the usual boundary)."""
    message = message or {}
    return is_new_question(message) or abusive_message(message.get("text") or "", message.get("intent"))


def record_answer(
    engine: Engine,
    conversation_id: str,
    channel: str | None,
    kind: Literal["csat", "nps"],
    score: int | None,
    handoff_id: str | None = None,
    now: float | None = None,
) -> int:
    """Store one survey question's answer (None: asked but skipped); returns the row id."""
    low, high = CSAT_RANGE if kind == "csat" else NPS_RANGE
    if score is not None and not low <= score <= high:
        raise ValueError(f"{kind} score {score} is outside {low}-{high}")
    with engine.begin() as db:
        result = db.execute(
            surveys.insert().values(
                conversation_id=conversation_id,
                channel=channel or "rest",
                kind=kind,
                score=score,
                handoff_id=handoff_id,
                created_at=time.time() if now is None else now,
            )
        )
        return int(result.inserted_primary_key[0])


def record_comment(engine: Engine, conversation_id: str, comment: str) -> bool:
    """Attach a comment (secrets masked, trimmed) to the conversation's latest survey row.

    Returns False when the conversation has no survey row to attach it to.
    """
    text = mask_secrets(comment.strip()).text[:MAX_COMMENT_CHARS]
    with engine.begin() as db:
        latest = db.execute(
            sa.select(sa.func.max(surveys.c.id)).where(surveys.c.conversation_id == conversation_id)
        ).scalar()
        if latest is None:
            return False
        db.execute(surveys.update().where(surveys.c.id == latest).values(comment=text))
        return True


# --- What the assistant says during the survey (the catalogue's survey.* responses) ---

QUESTION_KEYS = {"csat": "survey.csat", "nps": "survey.nps", "comment": "survey.comment"}
RETRY_KEYS = {"csat": "survey.retry_csat", "nps": "survey.retry_nps"}
BUTTON_CHANNELS = {"rest", "webchat", "telegram", "cmdline"}  # numbered-option channels get the scale in words


def question(kind: Literal["csat", "nps", "comment"], voice: Voice, retry: bool = False) -> dict:
    """A survey question as a Rasa message: buttons where the channel shows them, numbers in words elsewhere.

    SMS and WhatsApp show buttons as numbered options, where "1" picks the
    first option: a 0-10 scale would be off by one there, so those channels
    get the question alone (and survey.in_words) and the customer types the number.
    """
    text = voice.say(QUESTION_KEYS[kind])
    if kind == "comment":
        return {"text": text}
    if retry:
        text = joined(voice.say(RETRY_KEYS[kind]), text)
    low, high = CSAT_RANGE if kind == "csat" else NPS_RANGE
    if (voice.channel or "rest") not in BUTTON_CHANNELS:
        return {"text": joined(text, voice.say("survey.in_words", low=low, high=high))}
    return {"text": text, "buttons": [{"title": str(n), "payload": str(n)} for n in range(low, high + 1)]}


def survey_start_events(first_slot: str = "feedback_csat") -> list[dict[str, Any]]:
    """Tracker events (Rasa's JSON form) that start `feedback_form` from outside a turn, asking `first_slot`.

    Used after a person resolves a handoff: the question is sent with the
    notice, and the customer's next message fills the slot as if the form had asked.
    """
    fresh = ("feedback_csat", "feedback_nps", "feedback_comment", "feedback_retries", "csat", "nps")
    return ([{"event": "slot", "name": name, "value": None} for name in fresh]
            + [{"event": "active_loop", "name": "feedback_form"},
               {"event": "slot", "name": "requested_slot", "value": first_slot}])


def survey_stop_events() -> list[dict[str, Any]]:
    """Tracker events that end an unanswered `feedback_form` from outside a turn (a follow-up a day later makes a
    survey left waiting stale: the customer's next message must not be read as its rating)."""
    return [{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}]
