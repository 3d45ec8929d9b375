"""Conversations rebuilt from stored records: Rasa's `events` table plus handoff and survey rows.

The events are read with SQLAlchemy Core in one ordered, batched query
(never tracker by tracker through Rasa), split into sessions and reduced to
one `Conversation` each. Only the columns Rasa's SQLTrackerStore writes are
used; the JSON in `data` is decoded only for `user`, `bot` and `slot` events.
See docs/conversation-records.md for what each fact means.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.messaging import store
from bot.errors import ReportError
from bot.privacy import mask_secrets

BATCH_ROWS = 5000

# The columns of Rasa's SQLTrackerStore table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

SESSION_START_ACTION = "action_session_start"
MAX_QUEUE_S = 86400.0  # a message waits at most this long between reaching the server and its turn
RESOLVING_SLOTS = {"answer_helped": "answer_helped", "conversation_closed": "closed"}
SLOTS_READ = ("kb_decision", "kb_answered", "handoff_id", *RESOLVING_SLOTS)


@dataclass
class Handoff:
    """A row of `frontdesk_handoffs`, as the report needs it."""

    id: str
    conversation_id: str
    reason: str
    status: str
    created_at: float
    claimed_at: float | None
    first_agent_reply_at: float | None
    closed_at: float | None


@dataclass
class Survey:
    conversation_id: str
    channel: str
    kind: str  # csat or nps
    score: int | None  # None: skipped
    created_at: float


@dataclass(frozen=True)
class GapMessage:
    """A customer message whose turn ended in a fallback or a clarification (secrets masked)."""

    text: str
    decision: str
    channel: str
    conversation_id: str
    at: float
    intent: str | None = None  # what NLU read the message as (affirm, out_of_scope, faq, ...)


@dataclass
class Conversation:
    """One Rasa session of one sender, from the customer's first message on."""

    conversation_id: str
    opened_at: float  # the session's first event
    started_at: float = 0.0  # the customer's first message reached the server (`received_at`)
    channel: str = "unknown"
    first_reply_at: float | None = None  # the bot's first message after the customer's first
    agent_reply_at: float | None = None  # an agent's first message (tracker or handoff row)
    resolved_at: float | None = None
    resolved_by: str | None = None  # answer_helped, closed, agent
    handoffs: list[Handoff] = field(default_factory=list)
    handoff_slots: set[str] = field(default_factory=set)
    paused: bool = False
    decisions: list[str] = field(default_factory=list)  # kb_decision values, in order
    answered: list[str] = field(default_factory=list)  # kb_answered entry ids
    gaps: list[GapMessage] = field(default_factory=list)

    @property
    def handed_over(self) -> bool:
        return bool(self.handoffs) or bool(self.handoff_slots) or self.paused

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def contained(self) -> bool:
        """Resolved without a person."""
        return self.resolved and not self.handed_over

    def resolve(self, at: float, how: str) -> None:
        if self.resolved_at is None or at < self.resolved_at:
            self.resolved_at, self.resolved_by = at, how


def received_at(data: dict[str, Any], stamped: float) -> float:
    """When a customer's message reached the server: its `metadata.received_at` (set by the channels), else the
    user event's own time `stamped`, which Rasa sets only after the inbox's queue and NLU. A value later than
    `stamped` or more than MAX_QUEUE_S before it is not believed."""
    value = (data.get("metadata") or {}).get("received_at")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and stamped - MAX_QUEUE_S <= value <= stamped:
        return float(value)
    return stamped


def _starts_session(row: Any) -> bool:
    return row.type_name == "session_started" or (row.type_name == "action" and row.action_name == SESSION_START_ACTION)


def split_sessions(rows: list[Any]) -> list[list[Any]]:
    """One sender's events (in id order) cut where a session starts.

    Rasa writes `action_session_start` then `session_started` for a new
    session: either one opens a session, and the pair opens only one.
    """
    sessions: list[list[Any]] = []
    current: list[Any] = []
    for row in rows:
        if _starts_session(row) and any(not _starts_session(r) for r in current):
            sessions.append(current)
            current = []
        current.append(row)
    if current:
        sessions.append(current)
    return sessions


def reduce_session(conversation_id: str, rows: list[Any]) -> Conversation | None:
    """The conversation in one session's events; None when the customer never wrote, or when it was
    played by `frontdesk test-conversations` (its messages' `metadata.test`).

    Slot events before the customer's first message are the ones Rasa carries
    over from the previous session, so they say nothing about this one.
    """
    conv = Conversation(conversation_id, opened_at=rows[0].timestamp or 0.0)
    spoke = test = False
    last_text: str | None = None
    last_intent: str | None = None
    said, gap_said = 0, -1  # customer messages so far; the one last listed as a gap
    for row in rows:
        kind = row.type_name
        if kind == "user":
            data = json.loads(row.data or "{}")
            if not spoke:
                spoke = True
                conv.started_at = received_at(data, row.timestamp)
                conv.channel = data.get("input_channel") or "unknown"
            last_text = data.get("text")
            last_intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
            said += 1
            test = test or bool((data.get("metadata") or {}).get("test"))
        elif not spoke:
            continue
        elif kind == "bot":
            data = row.data or ""
            if '"agent"' in data and (json.loads(data).get("metadata") or {}).get("agent"):
                if conv.agent_reply_at is None:
                    conv.agent_reply_at = row.timestamp
            elif conv.first_reply_at is None:
                conv.first_reply_at = row.timestamp
        elif kind == "slot":
            data = json.loads(row.data or "{}")
            name, value = data.get("name"), data.get("value")
            if name == "kb_decision" and value:
                conv.decisions.append(value)
                if value in ("fallback", "clarify") and last_text and not last_text.startswith("/") and gap_said != said:
                    gap_said = said
                    conv.gaps.append(GapMessage(mask_secrets(last_text).text, value, conv.channel, conversation_id,
                                                row.timestamp, last_intent))
            elif name == "kb_answered" and value:
                conv.answered.append(str(value))
            elif name in RESOLVING_SLOTS and value is True:
                conv.resolve(row.timestamp, RESOLVING_SLOTS[name])
            elif name == "handoff_id" and value:
                conv.handoff_slots.add(str(value))
        elif kind == "pause":
            conv.paused = True
    return conv if spoke and not test else None


def attach_handoffs(conversations: list[Conversation], handoffs: list[Handoff]) -> None:
    """Give each handoff row to the session it belongs to (by the `handoff_id` slot, else by time)."""
    if not handoffs:
        return
    for i, conv in enumerate(conversations):
        until = conversations[i + 1].opened_at if i + 1 < len(conversations) else float("inf")
        for handoff in handoffs:
            if handoff.id in conv.handoff_slots or (conv.opened_at <= handoff.created_at < until
                                                     and not any(handoff.id in c.handoff_slots for c in conversations)):
                conv.handoffs.append(handoff)
                if handoff.first_agent_reply_at is not None and (
                        conv.agent_reply_at is None or handoff.first_agent_reply_at < conv.agent_reply_at):
                    conv.agent_reply_at = handoff.first_agent_reply_at
                if handoff.status == "resolved" and handoff.closed_at is not None:
                    conv.resolve(handoff.closed_at, "agent")


class RecordReader:
    """Reads one database's conversation records for a period."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown_url = "the database"
        self.engine = self._open(url)

    def _open(self, url: str) -> Engine:
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise ReportError("cannot read the tracker store: the database URL is malformed (e.g. sqlite:///path/frontdesk.db)") from None
        self.shown_url = repr(parsed)  # password hidden
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            if not path or path == ":memory:" or not Path(path).is_file():
                raise ReportError(f"cannot read the tracker store: {path or url} does not exist")
        try:
            engine = sa.create_engine(parsed, future=True)
            with engine.connect() as db:
                tables = set(sa.inspect(db).get_table_names())
        except Exception as error:  # the driver's own errors vary: report the first line
            raise ReportError(f"cannot read the tracker store at {self.shown_url}: {_first_line(error)}") from None
        if "events" not in tables:
            raise ReportError(f"cannot read the tracker store at {self.shown_url}: it has no Rasa `events` table")
        self.tables = tables
        return engine

    def _fail(self, error: Exception) -> ReportError:
        return ReportError(f"cannot read the tracker store at {self.shown_url}: {_first_line(error)}")

    def handoffs(self, since: float) -> dict[str, list[Handoff]]:
        """Handoff rows created since `since`, by conversation id, oldest first."""
        table = store.handoffs
        if table.name not in self.tables:
            return {}
        c = table.c
        query = (sa.select(c.id, c.conversation_id, c.reason, c.status, c.created_at, c.claimed_at,
                           c.first_agent_reply_at, c.closed_at)
                 .where(c.created_at >= since).order_by(c.conversation_id, c.created_at))
        found: dict[str, list[Handoff]] = defaultdict(list)
        try:
            with self.engine.connect() as db:
                for row in db.execute(query):
                    found[row.conversation_id].append(Handoff(*row))
        except sa.exc.SQLAlchemyError as error:
            raise self._fail(error) from None
        return found

    def surveys(self, start: float, end: float) -> list[Survey]:
        table = store.surveys
        if table.name not in self.tables:
            return []
        c = table.c
        query = (sa.select(c.conversation_id, c.channel, c.kind, c.score, c.created_at)
                 .where(c.created_at >= start, c.created_at < end).order_by(c.created_at, c.id))
        try:
            with self.engine.connect() as db:
                return [Survey(*row) for row in db.execute(query)]
        except sa.exc.SQLAlchemyError as error:
            raise self._fail(error) from None

    def archived(self, start: float, end: float):
        """What `frontdesk_daily_summary` keeps of erased or purged conversations in [start, end) (report/archive.py)."""
        from bot.report.archive import Archived, read_archive

        if store.daily_summary.name not in self.tables:
            return Archived()
        try:
            with self.engine.connect() as db:
                return read_archive(db, start, end)
        except sa.exc.SQLAlchemyError as error:
            raise self._fail(error) from None

    def _earlier_events(self, sender: str, before: float) -> bool:
        query = sa.select(events.c.id).where(events.c.sender_id == sender, events.c.timestamp < before).limit(1)
        with self.engine.connect() as db:
            return db.execute(query).first() is not None

    def _sender_rows(self, since: float) -> Iterator[tuple[str, list[Any]]]:
        """(sender, its events since `since` that the report reads, in id order), streamed in batches."""
        c = events.c
        wanted = sa.or_(  # Rasa writes the action's or the slot's name in `action_name`
            c.type_name.in_(("user", "bot", "session_started", "pause")),
            sa.and_(c.type_name == "action", c.action_name == SESSION_START_ACTION),
            sa.and_(c.type_name == "slot", c.action_name.in_(SLOTS_READ)),
        )
        query = (sa.select(c.sender_id, c.type_name, c.timestamp, c.action_name, c.data)
                 .where(c.timestamp >= since, wanted).order_by(c.sender_id, c.id))
        with self.engine.connect() as db:
            result = db.execution_options(stream_results=True).execute(query)
            sender, rows = None, []
            while batch := result.fetchmany(BATCH_ROWS):
                for row in batch:
                    if row.sender_id != sender:
                        if rows:
                            yield sender, rows
                        sender, rows = row.sender_id, []
                    rows.append(row)
            if rows:
                yield sender, rows

    def conversations(self, start: float, end: float) -> Iterator[Conversation]:
        """Conversations whose customer's first message falls in [start, end), with their handoffs.

        A session that began before `start` is left out (its first events are
        not in the window and it has earlier events).
        """
        handoffs = self.handoffs(start)
        try:
            for sender, rows in self._sender_rows(start):
                sessions = split_sessions(rows)
                if not _starts_session(sessions[0][0]) and self._earlier_events(sender, start):
                    sessions = sessions[1:]
                convs = [c for c in (reduce_session(sender, s) for s in sessions) if c is not None]
                attach_handoffs(convs, handoffs.get(sender, []))
                yield from (c for c in convs if start <= c.started_at < end)
        except sa.exc.SQLAlchemyError as error:
            raise self._fail(error) from None
        except (ValueError, TypeError) as error:  # malformed JSON in `data`
            raise ReportError(f"cannot read the tracker store at {self.shown_url}: an event is malformed ({error})") from None


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:200]

