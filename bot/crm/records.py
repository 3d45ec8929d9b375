"""What the CRM sync reads about a conversation: the tracker's events and Frontdesk's tables, per docs/conversation-records.md.

A sender's events are cut into conversations ("segments") at a new Rasa session,
at the customer's first message after the conversation was closed (slot
`conversation_closed`) or its handoff resolved, other than the answers to the
feedback survey (which belong to the conversation they close), and at a
silence longer than the idle timeout.
A segment is identified by the id of its first event, so a re-run finds the
same segments. Only segments in which the customer said something count.
Read-only: nothing here writes to the tracker or the shared tables.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.privacy import mask_secrets
from bot.messaging.store import handoffs, surveys

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent); read without owning it.
EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"), sa.column("data"))
NOTE_LIMIT = 60_000  # hs_note_body holds 65,536 characters; keep room for the markup
PHONE_CHANNELS = ("sms", "whatsapp")
SURVEY_FORM = "feedback_form"
SURVEY_SLOTS = ("feedback_csat", "feedback_nps", "feedback_comment")


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    ts: float
    data: dict[str, Any]

    def slot(self, name: str) -> tuple[bool, Any]:
        """(True, value) when this event sets slot `name`."""
        if self.type == "slot" and self.data.get("name") == name:
            return True, self.data.get("value")
        return False, None


@dataclass
class Segment:
    sender: str
    events: list[Event] = field(default_factory=list)
    end_reason: str | None = None  # closed, resolved, idle, new_session; None while it may go on
    closed_at: float | None = None
    resolved: bool = False  # a handoff of it was resolved (the resolution notice and survey stay with it)
    survey_open: bool = False  # the feedback survey was asked and is not over
    survey_replies: frozenset[int] = frozenset()  # ids of the customer's messages that answered the survey

    @property
    def first_id(self) -> int:
        return self.events[0].id

    @property
    def last_id(self) -> int:
        return self.events[-1].id

    @property
    def customer_spoke(self) -> bool:
        """The customer wrote something other than survey answers (a late rating alone is no conversation)."""
        return any(e.type == "user" and e.id not in self.survey_replies for e in self.events)

    @property
    def finished(self) -> str | None:
        """`closed` or `resolved` once the conversation was closed in the chat or its handoff resolved."""
        return "closed" if self.closed_at is not None else "resolved" if self.resolved else None


def _event(row: Any) -> Event:
    try:
        data = json.loads(row.data) if row.data else {}
    except ValueError:
        data = {}
    return Event(int(row.id), row.type_name, float(row.timestamp or 0.0), data if isinstance(data, dict) else {})


def load_events(engine: Engine, sender: str, first_id: int | None = None, last_id: int | None = None) -> list[Event]:
    """A sender's events in order (between two event ids, inclusive, if given); [] before Rasa made its table."""
    query = sa.select(EVENTS).where(EVENTS.c.sender_id == sender).order_by(EVENTS.c.id)
    if first_id is not None:
        query = query.where(EVENTS.c.id >= first_id)
    if last_id is not None:
        query = query.where(EVENTS.c.id <= last_id)
    try:
        with engine.connect() as db:
            return [_event(row) for row in db.execute(query)]
    except sa.exc.OperationalError:
        return []  # no `events` table yet


def max_event_id(engine: Engine) -> int:
    try:
        with engine.connect() as db:
            return int(db.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0)
    except sa.exc.OperationalError:
        return 0


def sender_activity(engine: Engine, since: float, after_id: int = 0) -> dict[str, tuple[int, float]]:
    """sender -> (last event id, last event time) for senders with events after `since`,
    looking only at event ids above `after_id` (a range read of Rasa's primary key)."""
    query = (sa.select(EVENTS.c.sender_id, sa.func.max(EVENTS.c.id), sa.func.max(EVENTS.c.timestamp))
             .where(EVENTS.c.id > after_id, EVENTS.c.timestamp > since).group_by(EVENTS.c.sender_id))
    try:
        with engine.connect() as db:
            return {sender: (int(last_id), float(last_ts or 0.0)) for sender, last_id, last_ts in db.execute(query)}
    except sa.exc.OperationalError:
        return {}  # no `events` table yet


def handoff_senders(engine: Engine, since: float) -> set[str]:
    with engine.connect() as db:
        return set(db.execute(sa.select(handoffs.c.conversation_id).where(handoffs.c.updated_at > since).distinct()).scalars())


@dataclass(frozen=True)
class HandoffSpan:
    created_at: float
    closed_at: float | None  # None while waiting or claimed
    resolved: bool


def handoff_spans(engine: Engine, sender: str) -> list[HandoffSpan]:
    with engine.connect() as db:
        return [HandoffSpan(created, closed, status == "resolved") for created, closed, status in db.execute(
            sa.select(handoffs.c.created_at, handoffs.c.closed_at, handoffs.c.status)
            .where(handoffs.c.conversation_id == sender).order_by(handoffs.c.created_at))]


def quiet_since(start: float, until: float, spans: list[HandoffSpan]) -> float | None:
    """When the conversation went quiet in the gap from `start` to `until`: None while a person
    has it (a handoff open through `until`), else the later of `start` and the last handoff's close."""
    for span in spans:
        if span.created_at <= until and (span.closed_at is None or span.closed_at > start):
            if span.closed_at is None or span.closed_at >= until:
                return None
            start = max(start, span.closed_at)
    return start


def survey_replies(events: list[Event]) -> frozenset[int]:
    """Ids of the customer's messages that answered the feedback survey: their turn fills a survey slot
    (`feedback_csat`, `feedback_nps`, `feedback_comment`) and asks the knowledge base nothing (a new
    question typed instead of a rating ends the survey and is a new conversation's first message)."""
    replies: set[int] = set()
    turn: int | None = None
    fills = asks = False
    for event in [*events, None]:
        if event is None or event.type == "user":
            if turn is not None and fills and not asks:
                replies.add(turn)
            turn, fills, asks = (event.id if event else None), False, False
        elif event.type == "slot":
            name, value = event.data.get("name"), event.data.get("value")
            fills = fills or (name in SURVEY_SLOTS and value is not None)
            asks = asks or (name == "kb_decision" and value is not None)
    return frozenset(replies)


def split(sender: str, events: list[Event], spans: list[HandoffSpan], now: float, idle_s: float,
          grace_s: float = 5.0) -> list[Segment]:
    """Cut a sender's events into conversations.

    A conversation closed in the chat (slot `conversation_closed`) or whose handoff was resolved
    keeps its closing turn: the goodbye, the survey and the comment (`survey_replies`); it ends at
    the customer's next other message. The last one is ended only once it has been idle, or closed
    or resolved for `grace_s` (the closing turn is over), or, with the survey asked and not
    answered, for `idle_s`. A customer waiting for or talking to a person (an open handoff) is not idle.
    """
    resolved_at = [span.closed_at for span in spans if span.resolved and span.closed_at is not None]
    replies = survey_replies(events)
    segments: list[Segment] = []
    current: Segment | None = None

    def end(reason: str) -> None:
        nonlocal current
        if current is not None and current.events:
            current.end_reason = current.finished or reason
            segments.append(current)
        current = None

    for event in events:
        if current is not None:
            last = current.events[-1]
            quiet = quiet_since(last.ts, event.ts, spans)
            if event.type == "user" and event.id in replies and current.finished:
                pass  # answering the survey of the conversation it closes
            elif quiet is not None and event.ts - quiet > idle_s:
                end("idle")
            elif event.type == "action" and event.data.get("name") == "action_session_start":
                end("new_session")
            elif event.type == "session_started" and current.customer_spoke:
                end("new_session")
            elif current.finished and event.type == "user":
                end(current.finished)
        if current is None:
            current = Segment(sender, survey_replies=replies)
        current.events.append(event)
        is_slot, value = event.slot("conversation_closed")
        if is_slot and value is True:
            current.closed_at = event.ts
        if event.type == "active_loop":
            current.survey_open = event.data.get("name") == SURVEY_FORM
        if current.customer_spoke and any(current.events[0].ts <= t <= event.ts for t in resolved_at):
            current.resolved = True
    if current is not None and current.events:
        last_ts = current.events[-1].ts
        quiet = quiet_since(last_ts, now, spans)
        resolved = current.customer_spoke and any(t >= current.events[0].ts and now - t > grace_s for t in resolved_at)
        current.resolved = current.resolved or resolved
        if current.finished and now - last_ts > (idle_s if current.survey_open else grace_s):
            end(current.finished)
        elif quiet is not None and now - quiet > idle_s:
            end("idle")
        else:
            segments.append(current)  # still going
    return segments


@dataclass
class ConversationRecord:
    """One ended conversation, as the CRM note shows it (texts already masked)."""

    conversation_id: str
    channel: str
    name: str | None
    start: float
    end: float
    end_reason: str
    questions: list[str]
    kb_answered: list[str]
    handoffs: list[dict[str, Any]]
    csat: int | None
    nps: int | None
    answer_helped: bool | None
    transcript: list[tuple[float, str, str]]  # (time, who, text)

    @property
    def outcome(self) -> str:
        if any(h["status"] == "resolved" for h in self.handoffs):
            return "resolved by an agent"
        if self.handoffs:
            return "handed over to a person, not resolved"
        if self.answer_helped is False:
            return "answered, but the customer said it did not help"
        if self.kb_answered:
            return "answered by the assistant"
        return "no answer found" if self.questions else "no question asked"


def customer_identity(events: list[Event]) -> tuple[str, str | None]:
    """(channel, name) from the customer's messages and the customer_name slot."""
    channel, name = "rest", None
    for event in events:
        if event.type == "user":
            channel = event.data.get("input_channel") or channel
            name = (event.data.get("metadata") or {}).get("name") or name
        is_slot, value = event.slot("customer_name")
        if is_slot and value:
            name = value
    return channel, (str(name).strip()[:128] or None) if name else None


def build_record(engine: Engine, sender: str, first_id: int, last_id: int, end_reason: str) -> ConversationRecord | None:
    """The conversation between two event ids; None if its events are gone."""
    events = load_events(engine, sender, first_id, last_id)
    if not events:
        return None
    channel, name = customer_identity(events)
    start, end = events[0].ts, events[-1].ts
    questions: list[str] = []
    answered: list[str] = []
    slots: dict[str, Any] = {}
    transcript: list[tuple[float, str, str]] = []
    pending_question: str | None = None
    for event in events:
        text = event.data.get("text")
        if event.type == "user" and text:
            text = mask_secrets(text).text
            transcript.append((event.ts, "Customer", text))
            pending_question = None if text.startswith("/") else text
        elif event.type == "bot" and text:
            agent = (event.data.get("metadata") or {}).get("agent")
            transcript.append((event.ts, f"Agent ({agent})" if agent else "Assistant", mask_secrets(text).text))
        elif event.type == "slot":
            key, value = event.data.get("name"), event.data.get("value")
            slots[key] = value
            if key == "kb_decision" and pending_question:
                questions.append(pending_question)
                pending_question = None
            if key == "kb_answered" and value and value not in answered:
                answered.append(value)
    window = (start - 1.0, end + 1.0)
    with engine.connect() as db:
        handed = [dict(row) for row in db.execute(sa.select(
            handoffs.c.id, handoffs.c.reason, handoffs.c.status, handoffs.c.agent, handoffs.c.created_at, handoffs.c.closed_at
        ).where(handoffs.c.conversation_id == sender, handoffs.c.created_at.between(*window))
            .order_by(handoffs.c.created_at)).mappings()]
        scores = {kind: score for kind, score in db.execute(sa.select(surveys.c.kind, surveys.c.score).where(
            surveys.c.conversation_id == sender, surveys.c.created_at.between(*window), surveys.c.score.isnot(None))
            .order_by(surveys.c.created_at))}
    csat = scores.get("csat", slots.get("csat"))
    nps = scores.get("nps", slots.get("nps"))
    return ConversationRecord(sender, channel, name, start, end, end_reason, questions, answered, handed,
                              int(csat) if csat is not None else None, int(nps) if nps is not None else None,
                              slots.get("answer_helped"), transcript)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


END_REASONS = {"closed": "closed in the chat", "resolved": "resolved by an agent", "idle": "the customer went quiet",
               "new_session": "a new session started"}


def note_html(record: ConversationRecord, ref: str) -> str:
    """The note's body (HubSpot notes take simple HTML), within HubSpot's length limit."""
    e = html.escape
    parts = [
        f"<p><strong>Frontdesk conversation</strong> on {e(record.channel)}, {_when(record.start)} to "
        f"{_when(record.end)} UTC (ended: {e(END_REASONS.get(record.end_reason, record.end_reason))})</p>",
        "<p><strong>Customer's questions</strong></p>"
        + ("<ul>" + "".join(f"<li>{e(q)}</li>" for q in record.questions) + "</ul>" if record.questions else "<p>none</p>"),
        f"<p><strong>Knowledge-base entries answered</strong>: {e(', '.join(record.kb_answered) or 'none')}</p>",
    ]
    if record.handoffs:
        lines = [f"{e(h['reason'])}, {e(h['status'])}" + (f", agent {e(h['agent'])}" if h["agent"] else "")
                 for h in record.handoffs]
        parts.append(f"<p><strong>Handed over to a person</strong>: yes ({'; '.join(lines)})</p>")
    else:
        parts.append("<p><strong>Handed over to a person</strong>: no</p>")
    parts.append(f"<p><strong>Outcome</strong>: {e(record.outcome)}</p>")
    ratings = [f"CSAT {record.csat}/5" if record.csat is not None else "", f"NPS {record.nps}/10" if record.nps is not None else ""]
    parts.append(f"<p><strong>Ratings</strong>: {e(', '.join(r for r in ratings if r) or 'not given')}</p>")
    footer = f"<p>Frontdesk ref: {e(ref)}</p>"
    lines, used = [], sum(map(len, parts)) + len(footer) + 100
    for ts, who, text in record.transcript:
        line = f"{time.strftime('%H:%M:%S', time.gmtime(ts))} <strong>{e(who)}</strong>: {e(text)}"
        if used + len(line) > NOTE_LIMIT:
            lines.append("[transcript shortened]")
            break
        lines.append(line)
        used += len(line) + 4
    parts.append("<p><strong>Transcript</strong> (card numbers and passwords masked)<br>" + "<br>".join(lines) + "</p>")
    return "".join(parts) + footer
