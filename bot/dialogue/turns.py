"""The question-and-answer dialogue, turn by turn: listen back, answer, clarify, follow up, offer a person.

Each function returns a `Turn`: the messages to send and the slots to set
(the actions turn them into Rasa events). The slots say where the dialogue
stands, so any instance of the action server can take the next turn:

- `awaiting_reply`: what a "yes"/"no" answers: `paraphrase` ("So what I'm
  hearing is ... Is that right?"), `helped` ("Did that answer your
  question?") or `offer_person` ("Would you like me to connect you ...?");
- `kb_pending`: the entry a paraphrase stands for; `kb_next`: other plausible
  entries to offer when an answer did not help;
- `kb_misses`: misses in a row (nothing found, "something else", "no, that's
  not it"); the second one offers a person.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from bot.dialogue import conversation
from bot.kb import replies
from bot.kb import Entry
from bot.kb import KnowledgeBase
from bot.messaging import record_visit
from bot.responses import Responses, Voice, joined

MISSES_BEFORE_PERSON = 2
# An entry worth offering when an answer did not help: its closest question has at least this
# cosine with the customer's. Picked by hand on a few starter-KB questions (not calibrated).
NEXT_SIMILARITY = 0.55
MAX_NEXT = 2
# A new session starts the dialogue afresh (slots carry over between sessions).
FRESH = {"awaiting_reply": None, "kb_pending": None, "kb_next": None, "kb_misses": 0}


@dataclass
class Turn:
    messages: list[dict] = field(default_factory=list)  # Rasa message dicts
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a turn needs to know about the conversation, and the catalogue it says things from."""

    conversation_id: str
    channel: str | None
    text: str
    events: Sequence[dict[str, Any]]
    slots: dict[str, Any]
    responses: Responses

    @property
    def turn(self) -> int:
        return conversation.turn_number(self.events)

    @property
    def misses(self) -> int:
        return int(self.slots.get("kb_misses") or 0)

    @property
    def voice(self) -> Voice:
        """The catalogue for this channel, its variants picked by conversation and turn."""
        return self.responses.voice(self.channel, f"{self.conversation_id}:{self.turn}")


# -- greeting ---------------------------------------------------------------


def welcome(context: Context, engine, question_follows: bool) -> Turn:
    """The first reply of a session: record the visit, greet (welcome back a returning customer) and introduce."""
    name = conversation.customer_name(context.events) or context.slots.get("customer_name")
    before = record_visit(engine, context.conversation_id, context.channel or "rest", name, time.time())
    returning = before is not None
    name = name or (before or {}).get("name")
    if question_follows:
        text = conversation.introduction(context.voice, name, returning)
    else:
        text = conversation.greeting(context.voice, name, returning)
    return Turn([{"text": text}], dict(FRESH, **({"customer_name": name} if name else {})))


def introduced(welcome_turn: Turn, turn: Turn) -> Turn:
    """`turn` with the introduction in front of its first message: one message per turn, as SMS bills it."""
    intro = welcome_turn.messages[0]["text"]
    messages = [dict(m) for m in turn.messages] or [{"text": ""}]
    messages[0]["text"] = f"{intro}\n\n{messages[0].get('text') or ''}".strip()
    return Turn(messages, {**welcome_turn.slots, **turn.slots})


def greet(context: Context, engine) -> Turn:
    """A hello: the full welcome on the first turn, a short one later."""
    if conversation.is_first_turn(context.events):
        return welcome(context, engine, question_follows=False)
    name = conversation.customer_name(context.events) or context.slots.get("customer_name")
    return Turn([{"text": conversation.greeting(context.voice, name, first=False)}])


# -- knowledge-base outcomes -------------------------------------------------


def answered(entry: Entry, context: Context, next_ids: list[str]) -> Turn:
    return Turn([replies.answer_message(entry, context.voice)], {
        "kb_decision": "answer", "kb_answered": entry.id, "kb_offered": None, "kb_pending": None,
        "kb_next": next_ids or None, "awaiting_reply": "helped", "kb_misses": 0,
    })


def listen_back(entry: Entry, context: Context, next_ids: list[str], lead: str = "") -> Turn:
    """Paraphrase before answering; "yes" answers `entry`."""
    return Turn([replies.paraphrase_message(entry, context.voice, lead)], {
        "kb_decision": "clarify", "kb_answered": None, "kb_offered": [entry.id], "kb_pending": entry.id,
        "kb_next": next_ids or None, "awaiting_reply": "paraphrase",
    })


def clarify(choices: list[Entry], context: Context, lead: str = "") -> Turn:
    return Turn([replies.clarify_message(choices, context.voice, lead)], {
        "kb_decision": "clarify", "kb_answered": None, "kb_offered": [c.id for c in choices], "kb_pending": None,
        "kb_next": None, "awaiting_reply": None,
    })


def missed(context: Context, first_time: dict, sorry: str) -> Turn:
    """A miss: `first_time` the first time, the offer of a person the second time in a row."""
    misses = context.misses + 1
    if misses >= MISSES_BEFORE_PERSON:
        return Turn([replies.offer_person_message(context.voice, sorry)],
                    {"kb_misses": 0, "awaiting_reply": "offer_person", "kb_pending": None,
                     "handoff_reason": "failures"})
    return Turn([first_time], {"kb_misses": misses, "awaiting_reply": None, "kb_pending": None})


def question(kb: KnowledgeBase, context: Context) -> Turn:
    """A new question: answer, paraphrase first (several sentences, or only one plausible entry), clarify or fall back."""
    result = kb.ask(context.text)
    decision = result.decision
    described = conversation.is_description(context.text)
    topics = " ".join(f"{c.entry.title} {' '.join(c.entry.questions)}" for c in decision.candidates)
    lead = conversation.acknowledgement(context.text, topics, context.voice) if described else ""
    if decision.kind == "answer" or (decision.kind == "clarify" and len(decision.candidates) == 1):
        entry = decision.top.entry
        next_ids = [s.entry.id for s in result.ranked if s.entry.id != entry.id and s.similarity >= NEXT_SIMILARITY]
        if described or decision.kind == "clarify":  # several sentences, or only moderately sure
            return listen_back(entry, context, next_ids[:MAX_NEXT], lead)
        return answered(entry, context, next_ids[:MAX_NEXT])
    if decision.kind == "clarify":
        choices = [c.entry for c in decision.candidates]
        return clarify(choices, context, lead)
    turn = missed(context, replies.fallback_message(context.voice, lead),
                  joined(lead, context.voice.say("faq.still_not_found")))
    turn.slots.update(kb_decision="fallback", kb_answered=None, kb_offered=None, kb_next=None)
    return turn


def chosen(entry: Entry, context: Context) -> Turn:
    """The customer picked an offered entry (button or "the second one")."""
    others = [i for i in context.slots.get("kb_offered") or [] if i != entry.id]
    return answered(entry, context, others)


# -- the customer's mood (bot/detect decides; these word it) -------------------


def with_empathy(turn: Turn, context: Context, key: str = "person.empathy") -> Turn:
    """Mild frustration (or, with key person.acknowledge, a reported problem): say it before the answer,
    in the turn's first text message."""
    for message in turn.messages:
        if message.get("text"):
            message["text"] = joined(context.voice.say(key), message["text"])
            break
    return turn


def frustrated_offer(context: Context) -> Turn:
    """High or rising frustration: apologise and offer a person (yes hands over, for reason `frustration`)."""
    return Turn([replies.offer_person_message(context.voice, context.voice.say("person.frustrated"))],
                {"awaiting_reply": "offer_person", "handoff_reason": "frustration", "kb_misses": 0, "kb_pending": None})


# -- replies to our questions --------------------------------------------------


def affirm(kb: KnowledgeBase, context: Context) -> Turn:
    awaiting = context.slots.get("awaiting_reply")
    pending = kb.snapshot.by_id.get(context.slots.get("kb_pending") or "")
    if awaiting == "paraphrase" and pending is not None:
        return answered(pending, context, list(context.slots.get("kb_next") or []))
    if awaiting == "helped":
        return Turn([{"text": joined(context.voice.say("faq.glad"), context.voice.say("faq.anything_else"))}],
                    {"answer_helped": True, "awaiting_reply": None})
    # ("yes" to the offer of a person never reaches here: action_follow_up hands over.)
    return Turn([{"text": context.voice.say("faq.what_can_i_help")}], {"awaiting_reply": None})


def deny(kb: KnowledgeBase, context: Context) -> Turn:
    awaiting = context.slots.get("awaiting_reply")
    if awaiting == "paraphrase":
        return missed(context, replies.rephrase_message(context.voice, context.voice.say("faq.misunderstood")),
                      context.voice.say("faq.not_understood_yet"))
    if awaiting == "helped":
        answered_id = context.slots.get("kb_answered")
        candidates = [kb.snapshot.by_id[i] for i in context.slots.get("kb_next") or []
                      if i in kb.snapshot.by_id and i != answered_id]
        if candidates:
            turn = Turn([replies.next_candidate_message(candidates[0], context.voice)], {
                "kb_decision": "clarify", "kb_offered": [candidates[0].id], "kb_pending": candidates[0].id,
                "kb_next": [c.id for c in candidates[1:]] or None, "awaiting_reply": "paraphrase",
            })
        else:
            turn = Turn([replies.offer_person_message(context.voice, context.voice.say("faq.didnt_help"))],
                        {"awaiting_reply": "offer_person", "kb_misses": 0, "handoff_reason": "failures"})
        turn.slots["answer_helped"] = False
        return turn
    text = joined(context.voice.say("faq.no_problem"), context.voice.say("faq.anything_else"))
    return Turn([{"text": text}], {"awaiting_reply": None, "kb_misses": 0, "handoff_reason": None})


def something_else(kb: KnowledgeBase, context: Context) -> Turn:
    """None of the offered choices fits: ask to rephrase, or offer a person the second time in a row.

    After a paraphrase or an answer, "that's not what I meant" is a "no".
    """
    if context.slots.get("awaiting_reply") in {"paraphrase", "helped"}:
        return deny(kb, context)
    turn = missed(context, replies.rephrase_message(context.voice, context.voice.say("faq.no_problem")),
                  context.voice.say("faq.not_found_yet"))
    turn.slots.update(kb_offered=None)
    return turn
