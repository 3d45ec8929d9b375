"""When a conversation confirms a customer's wording for an entry, and which conversations never teach anything.

The actions call `Learning` at the moments a wording is confirmed: the customer picked an entry from a
clarification (`chosen`), said yes to a paraphrase (`paraphrase_confirmed`), or said an answer given with
moderate confidence helped (`helped`); "no, that didn't help" withdraws what the conversation suggested for the
entry (`not_helped`). The wording is the customer's question the exchange is about: their latest message before
this reply that was not itself a reply (a pick, yes, no, "something else").

Conversations that never teach: a test conversation (`frontdesk test-conversations`), one with anything masked
(a card number, a password ...), one with an abusive message, and a question the NLU is sure is out of scope
(a less sure `out_of_scope` the knowledge base clarified, and the customer then confirmed, is learned).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.dialogue import abusive_message, knowledge_base_first
from bot.kb import Entry, KnowledgeBase
from bot.learn.suggestions import Suggestions

logger = logging.getLogger(__name__)

REPLY_INTENTS = {"affirm", "deny", "choose_entry", "something_else"}
NEVER_LEARNED_INTENTS = {"insult", "request_human", "greet", "goodbye", "thank", "bot_challenge"}


def _session(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    start = max((i for i, e in enumerate(events) if e.get("event") == "session_started"), default=-1)
    return [e for e in events[start + 1:] if e.get("event") == "user"]


def teaches(events: Sequence[dict[str, Any]]) -> bool:
    """False for a test conversation, one with anything masked, or one with an abusive message."""
    for event in _session(events):
        metadata = event.get("metadata") or {}
        if metadata.get("test") or metadata.get("masked"):
            return False
        if abusive_message(event.get("text") or "", (event.get("parse_data") or {}).get("intent")):
            return False
    return True


def asked(events: Sequence[dict[str, Any]]) -> str | None:
    """The customer's question the latest reply is about (None when there is none, or it is not a question to learn)."""
    users = _session(events)
    for event in reversed(users[:-1]):
        text = (event.get("text") or "").strip()
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if not text or text.startswith("/") or intent.get("name") in REPLY_INTENTS:
            continue
        if intent.get("name") == "out_of_scope" and not knowledge_base_first("clarify", float(intent.get("confidence") or 0)):
            return None  # the NLU is sure it is outside the company's services, whatever the knowledge base made of it
        return None if intent.get("name") in NEVER_LEARNED_INTENTS else text
    return None


class Learning:
    """The action server's suggestions: records confirmed wordings, with the near-duplicate check on the
    knowledge base's serving encoder."""

    def __init__(self, suggestions: Suggestions, knowledge_base: KnowledgeBase) -> None:
        self.suggestions, self.knowledge_base = suggestions, knowledge_base

    def similarity(self, wording: str, entry: Entry) -> float:
        """Cosine of the entry's closest question to `wording`, with the serving snapshot's encoder."""
        encoder = self.knowledge_base.snapshot.encoder
        vectors = encoder.encode([wording, *entry.questions])
        return float(np.max(vectors[1:] @ vectors[0])) if len(vectors) > 1 else 0.0

    def _record(self, events: Sequence[dict[str, Any]], conversation_id: str, entry_id: str | None, evidence: str) -> str:
        entry = self.knowledge_base.snapshot.by_id.get(entry_id or "")
        wording = asked(events)
        if entry is None or wording is None or not teaches(events):
            return "nothing to learn"
        try:
            return self.suggestions.record(wording, entry, evidence, conversation_id, self.similarity)
        except Exception:  # learning never breaks a conversation
            logger.exception("knowledge base: suggestion for conversation %s not recorded", conversation_id)
            return "failed"

    def chosen(self, events: Sequence[dict[str, Any]], conversation_id: str, entry_id: str, offered: int) -> str:
        """The customer picked `entry_id` among `offered` choices (one offered is a paraphrase: see below)."""
        return self._record(events, conversation_id, entry_id, "clarification" if offered > 1 else "paraphrase")

    def paraphrase_confirmed(self, events: Sequence[dict[str, Any]], conversation_id: str, entry_id: str) -> str:
        return self._record(events, conversation_id, entry_id, "paraphrase")

    def helped(self, events: Sequence[dict[str, Any]], conversation_id: str, entry_id: str) -> str:
        """"Yes, that helped": learned when the answer was given with moderate confidence (below learn_confident)."""
        wording = asked(events)
        if wording is None:
            return "nothing to learn"
        top = self.knowledge_base.ask(wording).decision.top
        if top is not None and top.entry.id == entry_id and top.probability >= self.knowledge_base.config.learn_confident:
            return "answered confidently already"
        return self._record(events, conversation_id, entry_id, "helpful")

    def not_helped(self, conversation_id: str, entry_id: str | None) -> int:
        return self.suggestions.withdraw(conversation_id, entry_id) if entry_id else 0
