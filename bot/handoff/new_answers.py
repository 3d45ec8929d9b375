"""Following up when the answer now exists (assistant.yml `follow_up.new_answers: true`; off by default).

When the knowledge base's content changes (an editor adds or changes an entry: a new snapshot fingerprint), the
action server looks again at the customer questions of the last `follow_up.new_answers_days` that fell back
(Rasa's tracker events: a user message whose turn set `kb_decision` to `fallback`) and asks the new snapshot.
A question that now gets a confident answer schedules one `new_answer` message to that customer, on their own
messaging channel (Telegram, SMS, WhatsApp: web chat and REST visitors cannot be reached later): "You asked
“…”, and I couldn't answer then. Here is the answer now: …". The Rasa server's follow-up worker sends it (leases,
quiet hours, opt-outs, WhatsApp's window as for every follow-up). At most one such message per customer per day
(a second waits a day); never for a message that had secrets masked out, a button, or abuse; each question once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import FollowUpConfig
from bot.dialogue import abusive_message
from bot.messaging import Schedule
from bot.messaging.store import scheduled

logger = logging.getLogger(__name__)

KIND = "new_answer"
DAY_S = 86400.0
CHANNELS = ("telegram", "sms", "whatsapp")
EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"), sa.column("timestamp"),
                  sa.column("data"))


@dataclass(frozen=True)
class Question:
    """A customer's question that fell back: its tracker event id, conversation, channel, words and time."""

    event_id: int
    conversation_id: str
    channel: str
    text: str
    at: float


# text -> (entry id, the answer's text for `channel`) when the knowledge base answers it confidently, else None
Ask = Callable[[str, str], "tuple[str, str] | None"]


def fallen_back(engine: Engine, since: float) -> list[Question]:
    """Customer questions since `since` whose turn ended in a fallback, on messaging channels, that may be followed
    up: not a button, nothing masked out of them, not abusive."""
    query = (sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
             .where(EVENTS.c.timestamp >= since, EVENTS.c.type_name.in_(("user", "slot")))
             .order_by(EVENTS.c.sender_id, EVENTS.c.id))
    found: list[Question] = []
    last: dict[str, tuple[int, dict[str, Any], float]] = {}
    with engine.connect() as db:
        if "events" not in sa.inspect(db).get_table_names():
            return []
        for event_id, sender, kind, at, raw in db.execute(query):
            data = json.loads(raw or "{}")
            if kind == "user":
                last[sender] = (event_id, data, at)
            elif data.get("name") == "kb_decision" and data.get("value") == "fallback" and sender in last:
                user_id, user, user_at = last.pop(sender)
                question = _question(user_id, sender, user, user_at)
                if question is not None:
                    found.append(question)
    return found


def _question(event_id: int, sender: str, user: dict[str, Any], at: float) -> Question | None:
    text = (user.get("text") or "").strip()
    metadata = user.get("metadata") or {}
    channel = user.get("input_channel") or metadata.get("channel") or ""
    parse = user.get("parse_data") or {}
    if (not text or text.startswith("/") or metadata.get("masked") or metadata.get("test") or channel not in CHANNELS
            or abusive_message(text, parse.get("intent"))):
        return None
    return Question(event_id, sender, channel, text, at)


class NewAnswers:
    """Schedules `new_answer` messages for questions a changed knowledge base now answers."""

    def __init__(self, engine: Engine, config: FollowUpConfig, ask: Ask) -> None:
        self.engine = engine
        self.schedule = Schedule(engine)
        self.config = config
        self.ask = ask

    def _already(self, conversation_id: str) -> tuple[set[int], float | None]:
        """The question event ids this customer was (or will be) sent an answer for, and their latest due time."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(scheduled.c.detail, scheduled.c.due_at).where(
                scheduled.c.kind == KIND, scheduled.c.conversation_id == conversation_id)).all()
        return ({int((d or {}).get("event_id", -1)) for d, _ in rows}, max((due for _, due in rows), default=None))

    def check(self, now: float | None = None) -> int:
        """Look at the recent fallbacks again; returns how many new answers were scheduled."""
        now = time.time() if now is None else now
        added = 0
        for question in fallen_back(self.engine, now - self.config.new_answers_days * DAY_S):
            done, latest = self._already(question.conversation_id)
            if question.event_id in done:
                continue
            answered = self.ask(question.text, question.channel)
            if answered is None:
                continue
            entry_id, answer = answered
            due = now if latest is None else max(now, latest + DAY_S)  # at most one a day per customer
            self.schedule.add(KIND, question.conversation_id, question.channel, question.conversation_id, due,
                              {"event_id": question.event_id, "question": question.text, "entry": entry_id,
                               "answer": answer, "asked_at": question.at}, now=now)
            added += 1
        if added:
            logger.info("new answers: %d follow-up(s) scheduled for questions the knowledge base now answers", added)
        return added


class NewAnswersWatcher:
    """A thread in the action server: when the knowledge base's snapshot changes, `NewAnswers.check()`."""

    def __init__(self, new_answers: NewAnswers, fingerprint: Callable[[], str], interval_s: float = 2.0) -> None:
        self.new_answers = new_answers
        self.fingerprint = fingerprint
        self.interval_s = interval_s
        self._seen = fingerprint()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        current = self.fingerprint()
        if current == self._seen:
            return 0
        self._seen = current
        return self.new_answers.check()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="new-answers", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # the database may be briefly unavailable; the next change tries again
                logger.exception("new answers: the check failed")
