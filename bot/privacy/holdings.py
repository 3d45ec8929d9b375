"""Everything Frontdesk's database holds about one customer, table by table: read for an export, deleted for an erasure.

One list (`HOLDINGS`) says where a customer's rows are, so what `export` shows and what
`erase_rows` deletes are the same rows by construction. Rasa's `events` table is read and
written with SQLAlchemy Core (its columns as rasa.core.tracker_store.SQLTrackerStore.SQLEvent
writes them). Not customer data, so not here: agent accounts and desk sessions; the agents'
audit log (names, actions, handoff ids; an export shows the entries about the customer's
handoffs as who looked at their conversation); the erasure log and the report's daily summary
(no personal data).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.messaging.store import (agent_audit, channel_values, crm_sync, customers, delivery, handoff_messages, handoffs,
                                 inbox, kb_suggestions, outbox, scheduled, surveys)
from bot.privacy.subjects import Subject

INTERNAL_STATE = ("hubspot", "privacy")  # channel_state rows of the CRM scanner and of bot/privacy, never a customer's
EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"), sa.column("timestamp"),
                  sa.column("intent_name"), sa.column("action_name"), sa.column("data"))


def _outbox_rows(subject: Subject):
    return sa.or_(outbox.c.conversation_id == subject.conversation_id, outbox.c.recipient.in_(subject.addresses))


def _handoff_ids(subject: Subject):
    return sa.select(handoffs.c.id).where(handoffs.c.conversation_id == subject.conversation_id).scalar_subquery()


@dataclass(frozen=True)
class Holding:
    """Where one table keeps a customer's rows; `order` lists them, `time` is when a row was written."""

    table: Any
    where: Callable[[Subject], Any]
    order: Any
    time: Any

    @property
    def name(self) -> str:
        return self.table.name


# In deletion order: rows that point at others (delivery -> outbox, messages -> handoffs) go first.
HOLDINGS = (
    Holding(EVENTS, lambda s: EVENTS.c.sender_id == s.conversation_id, EVENTS.c.id, EVENTS.c.timestamp),
    Holding(inbox, lambda s: inbox.c.sender == s.conversation_id, inbox.c.received_at, inbox.c.received_at),
    Holding(delivery, lambda s: delivery.c.provider_id.in_(
        sa.select(outbox.c.provider_id).where(_outbox_rows(s), outbox.c.provider_id.is_not(None)).scalar_subquery()),
        delivery.c.updated_at, delivery.c.updated_at),
    Holding(outbox, _outbox_rows, outbox.c.id, outbox.c.created_at),
    Holding(channel_values, lambda s: sa.and_(channel_values.c.recipient.in_(s.addresses),
                                              channel_values.c.channel.not_in(INTERNAL_STATE)),
            channel_values.c.key, channel_values.c.updated_at),
    Holding(handoff_messages, lambda s: handoff_messages.c.handoff_id.in_(_handoff_ids(s)), handoff_messages.c.id,
            handoff_messages.c.created_at),
    Holding(scheduled, lambda s: scheduled.c.conversation_id == s.conversation_id, scheduled.c.id,
            scheduled.c.created_at),
    Holding(handoffs, lambda s: handoffs.c.conversation_id == s.conversation_id, handoffs.c.created_at,
            handoffs.c.created_at),
    Holding(surveys, lambda s: surveys.c.conversation_id == s.conversation_id, surveys.c.id, surveys.c.created_at),
    Holding(customers, lambda s: customers.c.conversation_id == s.conversation_id, customers.c.first_seen_at,
            customers.c.first_seen_at),
    Holding(crm_sync, lambda s: crm_sync.c.conversation_id == s.conversation_id, crm_sync.c.created_at,
            crm_sync.c.created_at),
    # suggested questions in the customer's words (bot/learn); one already added to an entry stays in its markdown
    Holding(kb_suggestions, lambda s: kb_suggestions.c.conversation_id == s.conversation_id, kb_suggestions.c.id,
            kb_suggestions.c.created_at),
)
TABLES = tuple(h.name for h in HOLDINGS)


def present(db: Connection) -> set[str]:
    """The holdings' tables this database has (Rasa makes `events` only when the server first saves a tracker)."""
    return set(sa.inspect(db).get_table_names()) & set(TABLES)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready values; the tracker's `data` column decoded."""
    out = dict(row)
    if isinstance(out.get("data"), str):
        try:
            out["data"] = json.loads(out["data"])
        except ValueError:
            pass
    return out


def rows_held(db: Connection, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """Every row held about `subject`, by table (tables without rows included, empty)."""
    tables = present(db)
    found: dict[str, list[dict[str, Any]]] = {}
    for holding in HOLDINGS:
        if holding.name not in tables:
            found[holding.name] = []
            continue
        query = sa.select(holding.table).where(holding.where(subject)).order_by(holding.order)
        found[holding.name] = [_plain(row) for row in db.execute(query).mappings()]
    return found


def count_held(db: Connection, subject: Subject) -> dict[str, int]:
    """How many rows each table holds about `subject`."""
    tables = present(db)
    return {h.name: (int(db.execute(sa.select(sa.func.count()).select_from(h.table).where(h.where(subject))).scalar())
                     if h.name in tables else 0) for h in HOLDINGS}


def erase_rows(db: Connection, subject: Subject, before: float | None = None,
               handoff_ids: tuple[str, ...] = ()) -> dict[str, int]:
    """Delete every row held about `subject` in the caller's transaction; rows deleted, by table.

    For a second sweep after an erasure (erasure.Eraser.sweep), `before` keeps what the customer started after
    that time: tracker events of a session begun since, and other rows written since (unless no tracker events
    are left, then everything goes); messages still filed under the erased `handoff_ids` always go."""
    tables = present(db)
    if before is not None and EVENTS.name in tables:
        last_stale = _last_stale_event(db, subject, before)
        fresh_left = db.execute(sa.select(EVENTS.c.id).where(
            EVENTS.c.sender_id == subject.conversation_id, EVENTS.c.id > last_stale).limit(1)).first() is not None
    else:
        last_stale, fresh_left = None, False
    deleted: dict[str, int] = {}
    for holding in HOLDINGS:
        if holding.name not in tables:
            deleted[holding.name] = 0
            continue
        where = holding.where(subject)
        if holding.table is EVENTS and last_stale is not None:
            where = sa.and_(where, EVENTS.c.id <= last_stale)
        elif fresh_left:
            where = sa.and_(where, holding.time < before)
        if holding.table is handoff_messages and handoff_ids:
            where = sa.or_(where, handoff_messages.c.handoff_id.in_(handoff_ids))
        deleted[holding.name] = db.execute(sa.delete(holding.table).where(where)).rowcount or 0
    return deleted


def _last_stale_event(db: Connection, subject: Subject, before: float) -> int:
    """The last event id that belongs to a conversation from before `before`: everything up to the first session
    that started after it (a new conversation the customer began after the erasure is kept)."""
    c = EVENTS.c
    fresh = db.execute(sa.select(sa.func.min(c.id)).where(
        c.sender_id == subject.conversation_id, c.timestamp >= before,
        sa.or_(c.type_name == "session_started", sa.and_(c.type_name == "action", c.action_name == "action_session_start")))
    ).scalar()
    if fresh is None:
        return int(db.execute(sa.select(sa.func.max(c.id)).where(c.sender_id == subject.conversation_id)).scalar() or 0)
    return int(fresh) - 1


def audit_of(db: Connection, handoff_ids: list[str]) -> list[dict[str, Any]]:
    """The agents' audit entries about these handoffs (who viewed, claimed, replied ...), oldest first."""
    if not handoff_ids or agent_audit.name not in set(sa.inspect(db).get_table_names()):
        return []
    c = agent_audit.c
    return [dict(row) for row in db.execute(sa.select(c.at, c.agent, c.action, c.handoff_id, c.detail)
                                            .where(c.handoff_id.in_(handoff_ids)).order_by(c.at, c.id)).mappings()]
